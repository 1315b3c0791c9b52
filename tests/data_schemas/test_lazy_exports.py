import pytest

from data_schemas.lazy_exports import lazy_exports


def test_a_name_is_imported_from_its_submodule_when_asked():
    getattr_, names = lazy_exports(
        "json", {"decoder": ("JSONDecodeError",), "encoder": ("JSONEncoder",)}
    )
    assert names == ["JSONDecodeError", "JSONEncoder"]
    import json.decoder

    assert getattr_("JSONDecodeError") is json.decoder.JSONDecodeError
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        getattr_("missing")


@pytest.mark.parametrize(
    "exports", [{"a": ("x",), "b": ("x",)}, {"a": ("b",), "b": ("y",)}], ids=["twice", "submodule"]
)
def test_ambiguous_exports_are_refused(exports):
    with pytest.raises(ValueError, match="exported twice or is a submodule"):
        lazy_exports("package", exports)


def test_the_lazy_packages_export_what_they_list():
    import model.data
    import pipeline.captioning
    import pipeline.labelling

    for package in (model.data, pipeline.captioning, pipeline.labelling):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
