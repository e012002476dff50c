"""Named sections of docs/benchmarks.md that other benchmarks own.

bench/run.py rewrites docs/benchmarks.md as a whole; a section between
`<!-- section:NAME -->` and `<!-- /section:NAME -->` belongs to another
benchmark (bench/upload.py, the load benchmark, ...) and survives that
rewrite. `replace` puts one section in (or updates it) without touching the
rest of the file.
"""
import re

_RX = re.compile(r"<!-- section:([\w-]+) -->\n.*?<!-- /section:\1 -->\n", re.S)


def sections(text):
    """{name: block} of every owned section in text, blocks with their markers."""
    return {m.group(1): m.group(0) for m in _RX.finditer(text)}


def keep(old, new):
    """`new` with every section of `old` that `new` lacks appended."""
    have = sections(new)
    extra = [b for n, b in sections(old).items() if n not in have]
    return new.rstrip("\n") + "\n\n" + "\n".join(extra) if extra else new


def replace(text, name, body):
    """`text` with section `name` set to `body` (appended when absent)."""
    block = f"<!-- section:{name} -->\n{body.rstrip()}\n<!-- /section:{name} -->\n"
    if name in sections(text):
        return _RX.sub(lambda m: block if m.group(1) == name else m.group(0), text)
    return text.rstrip("\n") + "\n\n" + block
