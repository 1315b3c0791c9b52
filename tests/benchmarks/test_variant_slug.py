from benchmarks.variant_slug import slug


def test_display_names_become_lower_case_dashed_names() -> None:
    assert slug("(c) no denoising") == "c-no-denoising"
    assert slug("ParSeD, tanh gate") == "parsed-tanh-gate"
    assert slug("ParSeDA (released)") == "parseda-released"
