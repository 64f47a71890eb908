"""MkDocs hook: a docstring's doctest lines shown as Python console code.

The docstrings hold their examples as bare doctests (`>>> ...` followed by
the output, as `pytest --doctest-modules` runs them); Markdown would read
`>>>` as three nested quotes. This adds a Markdown preprocessor, used for the
pages and for the docstrings mkdocstrings renders, that fences each run of
doctest lines, up to the next blank line, as a `pycon` code block.
"""

import re

from markdown import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority

PROMPT = re.compile(r"^(\s*)>>> ")
FENCE = re.compile(r"^\s*(```|~~~)")


class DoctestBlocks(Preprocessor):
    def run(self, lines):
        out, in_fence, index = [], False, 0
        while index < len(lines):
            line = lines[index]
            if FENCE.match(line):
                in_fence = not in_fence
            match = None if in_fence else PROMPT.match(line)
            if match is None:
                out.append(line)
                index += 1
                continue
            indent = match.group(1)
            out.append(f"{indent}```pycon")
            while index < len(lines) and lines[index].strip():
                out.append(lines[index])
                index += 1
            out.append(f"{indent}```")
        return out


class DoctestBlocksExtension(Extension):
    def extendMarkdown(self, md):
        # Before the fenced-code preprocessor (priority 25) reads the fences.
        md.preprocessors.register(DoctestBlocks(md), "doctest_blocks", 30)


@event_priority(100)  # before mkdocstrings reads the extensions
def on_config(config):
    config.markdown_extensions.append(DoctestBlocksExtension())
    return config
