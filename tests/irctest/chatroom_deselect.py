"""pytest plugin: deselects exactly the tests listed in deselected.txt.

pytest's own `--deselect` matches node id prefixes, so deselecting
`...::testNotice` would also drop `...::testNoticeNonexistentChannel`. run.sh
loads this plugin (`-p chatroom_deselect`) and names the list in
$CHATROOM_IRCTEST_DESELECTED; each test whose node id is exactly a listed
one is deselected (and counted as such), nothing else.
"""

import os


def listed(path):
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            words = line.split(None, 1)
            if words and not words[0].startswith("#"):
                yield words[0]


def pytest_collection_modifyitems(config, items):
    path = os.environ.get("CHATROOM_IRCTEST_DESELECTED")
    if not path:
        return
    wanted = set(listed(path))
    keep = [item for item in items if item.nodeid not in wanted]
    dropped = [item for item in items if item.nodeid in wanted]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
