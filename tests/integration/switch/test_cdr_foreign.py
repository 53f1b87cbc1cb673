"""test_cdr_foreign.py: issue 14, item 3. A file that is not a busyhour
CDR file given as --cdr is refused untouched: exit 2, a message naming the
file and why, the file's bytes unchanged, no WAL or shared-memory file
made beside it. (On the old switch: the file was switched to WAL and got
a meta table before being refused, with no reason given.)"""
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile

import harness as h

busyhour = sys.argv[1]
(SIP,) = h.free_ports(1)
tmp = tempfile.mkdtemp(prefix="bh_foreign_")


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def refused(path, what):
    before = digest(path)
    p = subprocess.run([busyhour, "switch", os.path.join(h.HERE, "cdr.yaml"),
                        "--listen", "127.0.0.1:%d" % SIP, "--cdr", path],
                       capture_output=True, text=True, timeout=60)
    h.check(p.returncode == 2, "%s: exit %d (2 wanted)" % (what, p.returncode))
    h.check(path in p.stderr and "refusing to touch it" in p.stderr,
            "%s: the message names the file and why: %s" %
            (what, p.stderr.strip()))
    h.check(digest(path) == before and
            not os.path.exists(path + "-wal") and
            not os.path.exists(path + "-shm"),
            "%s: left untouched (same bytes, no -wal, no -shm)" % what)


# Another program's database, in rollback-journal mode.
other = os.path.join(tmp, "accounts.sqlite")
db = sqlite3.connect(other)
db.execute("CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT)")
db.execute("INSERT INTO accounts(name) VALUES('alice')")
db.commit()
db.close()
refused(other, "another program's SQLite file")
db = sqlite3.connect(other)
h.check(db.execute("PRAGMA journal_mode").fetchone()[0] == "delete" and
        [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")] ==
        ["accounts"], "still in its journal mode, no table added")
db.close()

# Not SQLite at all.
text = os.path.join(tmp, "notes.txt")
with open(text, "w") as f:
    f.write("these are not call records\n" * 200)
refused(text, "a text file")
print("PASS")
