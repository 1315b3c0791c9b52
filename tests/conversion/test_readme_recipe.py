"""The three commands of docs/pretraining.md from the released R-Tagger to COCO scene graphs are commands
rlipv2 accepts as written (the files they name are the user's: only the arguments are run)."""

import re
import shlex

from doc_pages import page_text
from flows.cli import build_parser

def recipe_commands() -> list[list[str]]:
    readme = page_text("docs/pretraining.md")
    start = readme.index("The released R-Tagger, in three commands")
    block = re.search(r"```bash\n(.*?)```", readme[start:], flags=re.DOTALL)[1]
    lines = block.replace("\\\n", " ").splitlines()
    return [shlex.split(line)[1:] for line in lines if line.startswith(".venv/bin/rlipv2 ")]


def test_the_recipe_is_three_commands_rlipv2_parses() -> None:
    commands = recipe_commands()
    assert [command[0] for command in commands] == ["convert-checkpoint", "ingest", "label"]
    converted = commands[0][commands[0].index("-o") + 1]
    for command in commands:
        arguments = build_parser(command).parse_args(command)
        assert callable(arguments.handler)
    label = build_parser(commands[2]).parse_args(commands[2])
    assert str(label.tagger_checkpoint) == converted
    ingest = build_parser(commands[1]).parse_args(commands[1])
    assert label.dataset_dir == ingest.out
