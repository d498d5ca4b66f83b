"""Conformance driver (Python 2.7): pytyrant 1.1.17 against a Tokyo Tyrant server.

Usage: python2.7 pytyrant_driver.py PYTYRANT_DIR HOST PORT

Runs every operation pytyrant offers (the raw ``Tyrant`` class and the dict-like ``PyTyrant``)
and prints one JSON object of results.  Byte strings are reported as latin-1 text.  The last
section runs the four calls whose pytyrant 1.1.17 encoding differs from the protocol that
ttserver 1.1.41 speaks (vanish, copy, restore, setmst), each on its own connection with a
short timeout, and reports what happened.
"""

import json
import socket
import sys

sys.path.insert(0, sys.argv[1])
import pytyrant

HOST, PORT = sys.argv[2], int(sys.argv[3])


def enc(value):
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (list, tuple)):
        return [enc(v) for v in value]
    if isinstance(value, dict):
        return dict((enc(k), enc(v)) for k, v in value.items())
    return value


def attempt(fn, *args):
    try:
        return {"ok": enc(fn(*args))}
    except pytyrant.TyrantError as e:
        return {"error": e.args[0] if e.args else None}
    except KeyError as e:
        return {"keyerror": enc(e.args[0])}
    except socket.timeout:
        return {"timeout": True}


results = {}


def misc_alone(name, opts, args):
    """A misc call expected to fail, on its own connection: the server's failure reply is
    ``01 00 00 00 00`` and pytyrant reads only the first byte of it, which would leave the
    connection out of step."""
    conn = pytyrant.Tyrant.open(HOST, PORT)
    try:
        return attempt(conn.misc, name, opts, args)
    finally:
        conn.close()


t = pytyrant.Tyrant.open(HOST, PORT)
r = results.setdefault


# -- the raw protocol class ------------------------------------------------------------------
r("put", attempt(t.put, "k1", "v1"))
r("get", attempt(t.get, "k1"))
r("get_missing", attempt(t.get, "nope"))
r("putkeep_new", attempt(t.putkeep, "k2", "v2"))
r("putkeep_existing", attempt(t.putkeep, "k2", "other"))
r("putcat", attempt(t.putcat, "k1", "+tail"))
r("get_after_putcat", attempt(t.get, "k1"))
r("putshl", attempt(t.putshl, "k1", "XYZ", 5))
r("get_after_putshl", attempt(t.get, "k1"))
r("putnr", attempt(t.putnr, "k3", "\x00\xff binary"))
r("get_after_putnr", attempt(t.get, "k3"))
r("vsiz", attempt(t.vsiz, "k3"))
r("vsiz_missing", attempt(t.vsiz, "nope"))
r("mget", attempt(t.mget, ["k1", "nope", "k2"]))
r("out", attempt(t.out, "k2"))
r("out_missing", attempt(t.out, "k2"))
t.put("p/a", "1")
t.put("p/b", "2")
t.put("q/c", "3")
r("fwmkeys", attempt(t.fwmkeys, "p/", 10))
r("fwmkeys_limited", attempt(t.fwmkeys, "p/", 1))
r("iterinit", attempt(t.iterinit))
keys = []
while True:
    got = attempt(t.iternext)
    if "ok" not in got:
        r("iternext_end", got)
        break
    keys.append(got["ok"])
r("iterated_keys", sorted(keys))
r("ext", attempt(t.ext, "echo", 0, "key", "value"))
r("ext_locking", attempt(t.ext, "echo", pytyrant.RDBXOLCKREC, "a", "b"))
r("ext_nil", attempt(t.ext, "nothing", 0, "key", "value"))
r("ext_missing", attempt(t.ext, "no_such_function", 0, "key", "value"))
r("sync", attempt(t.sync))
r("rnum", attempt(t.rnum))
r("size_positive", t.size() > 0)
stat = t.stat()
r("stat_has_rnum", "rnum\t" in stat)
r("misc_putlist", attempt(t.misc, "putlist", 0, ["m1", "x", "m2", "y"]))
r("misc_getlist", attempt(t.misc, "getlist", 0, ["m1", "nope", "m2"]))
r("misc_outlist", attempt(t.misc, "outlist", pytyrant.RDBMONOULOG, ["m1", "nope"]))
r("misc_get", attempt(t.misc, "get", 0, ["m2"]))
r("misc_get_missing", misc_alone("get", 0, ["m1"]))
r("misc_getpart", attempt(t.misc, "getpart", 0, ["p/a", "0", "1"]))
r("misc_regex", attempt(t.misc, "regex", 0, ["^p/"]))
r("misc_range_hash", misc_alone("range", 0, ["p/", "10"]))
r("misc_error", attempt(t.misc, "error", 0, []))
r("misc_unknown", misc_alone("no_such_function", 0, []))

# -- the dict-like wrapper -------------------------------------------------------------------
d = pytyrant.PyTyrant(t)
d["w1"] = "one"
r("py_getitem", attempt(lambda: d["w1"]))
r("py_getitem_missing", attempt(lambda: d["nope"]))
r("py_contains", ["w1" in d, "nope" in d, d.has_key("w1")])
r("py_setdefault_new", attempt(d.setdefault, "w2", "two"))
r("py_setdefault_existing", attempt(d.setdefault, "w2", "other"))
r("py_get_default", d.get("nope", "dflt"))
d.update({"u1": "a", "u2": "b"}, u3="c")
d.multi_set([("s1", "1"), ("s2", "2")])
r("py_multi_get", attempt(d.multi_get, ["u1", "u2", "u3", "s1", "s2"]))
d.multi_del(["s1", "s2"])
r("py_after_multi_del", ["s1" in d, "s2" in d])
d.concat("w1", "+cat")
d.concat("w1", "123456", 4)
r("py_concat", d["w1"])
r("py_call_func", attempt(d.call_func, "echo", "k", "v", True, False))
r("py_get_size", attempt(d.get_size, "w1"))
r("py_get_size_missing", attempt(d.get_size, "nope"))
r("py_prefix_keys", sorted(enc(d.prefix_keys("u"))))
r("py_prefix_keys_limited", len(d.prefix_keys("u", 2)))
stats = d.get_stats()
r("py_stats_rnum", stats.get("rnum"))
r("py_len", len(d))
r("py_keys", sorted(enc(d.keys())))
r("py_items_count", len(list(d.iteritems())))
del d["w2"]
r("py_delitem_missing", attempt(d.__delitem__, "w2"))
d.sync()
r("py_len_final", len(d))
d.close()

# -- pytyrant 1.1.17 vs the 1.1.41 wire format -----------------------------------------------


def fresh():
    conn = pytyrant.Tyrant.open(HOST, PORT)
    conn.sock.settimeout(0.5)
    return conn


def count():
    conn = pytyrant.Tyrant.open(HOST, PORT)
    try:
        return conn.rnum()
    finally:
        conn.close()


before = count()
for name, call in [
    ("vanish", lambda c: c.vanish()),
    ("setmst", lambda c: c.setmst("localhost", 1978)),
    ("pyclear", lambda c: pytyrant.PyTyrant(c).clear()),
]:
    conn = fresh()
    results["quirk_" + name] = attempt(call, conn)
    conn.close()
results["quirk_rnum_before"] = before
results["quirk_rnum_after_timeouts"] = count()
conn = fresh()
results["quirk_copy"] = attempt(conn.copy, "/nonexistent/backup")
conn.close()
results["quirk_rnum_after_copy"] = count()
conn = fresh()
conn.put("again", "1")
results["quirk_restore"] = attempt(conn.restore, "/nonexistent/ulog", 1)
conn.close()
results["quirk_rnum_after_restore"] = count()

print(json.dumps(results, sort_keys=True))
