#!/bin/sh
# Regenerates the JFR golden files from the JDK's own reader (`jfr print --json`, OpenJDK 17),
# independently of Hearth's parser. Run from the repository root:
#
#   sh testdata/golden/jfr/make_golden.sh
#
# Output, one line per distinct (thread, [class,] stack), sorted bytewise, root frame first:
#
#   thread=<javaName>;[class=<objectClass>;]<frame>;...;<leaf> <value>
#
# where <frame> is <package.Class>.<method>:<line> (line -1 written as 0), the class name
# dotted in its package part only (hidden classes keep their JVM spelling), array classes
# spelled as in Java (int[], java.lang.String[]), every frame kept (hidden ones included), and
# <value> is the number of events (cpu) or the sum of `weight` in bytes (alloc).
set -eu
in=testdata/fixtures/java/hotloop.jdk17.profile.jfr
out=testdata/golden/jfr
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jfr print --json --stack-depth 64 --events jdk.ExecutionSample "$in" > "$tmp/cpu.json"
jfr print --json --stack-depth 64 --events jdk.ObjectAllocationSample "$in" > "$tmp/alloc.json"
python3 - "$tmp" "$out" <<'PY'
import collections, json, sys
tmp, out = sys.argv[1], sys.argv[2]

PRIMITIVES = {"B": "byte", "C": "char", "D": "double", "F": "float", "I": "int", "J": "long",
              "S": "short", "Z": "boolean"}

def class_name(c):
    name, pkg = c["name"], c["package"]
    if name.startswith("["):  # Array descriptor: [[I -> int[][], [Ljava/lang/String; -> ...
        dims = len(name) - len(name.lstrip("["))
        elem = name[dims:]
        if elem in PRIMITIVES:
            elem = PRIMITIVES[elem]
        elif elem.startswith("L") and elem.endswith(";"):
            elem = elem[1:-1].replace("/", ".")
        return elem + "[]" * dims
    if pkg and name.startswith(pkg["name"] + "/"):
        return pkg["name"].replace("/", ".") + name[len(pkg["name"]):].replace("/", ".", 1)
    if c["hidden"]:
        return name
    return name.replace("/", ".")

def frames(st):
    if st is None:
        return []
    fr = [f'{class_name(f["method"]["type"])}.{f["method"]["name"]}:{max(f["lineNumber"], 0)}'
          for f in st["frames"]]
    return list(reversed(fr))

def write(kind, value_of, with_class):
    events = json.load(open(f"{tmp}/{kind}.json"))["recording"]["events"]
    acc = collections.Counter()
    for e in events:
        v = e["values"]
        thread = v.get("sampledThread") or v.get("eventThread")
        key = ["thread=" + thread["javaName"]]
        if with_class:
            key.append("class=" + class_name(v["objectClass"]))
        acc[";".join(key + frames(v["stackTrace"]))] += value_of(v)
    with open(f"{out}/hotloop.{kind}.folded", "w") as f:
        for k in sorted(acc, key=lambda s: s.encode()):
            f.write(f"{k} {acc[k]}\n")

write("cpu", lambda v: 1, False)
write("alloc", lambda v: v["weight"], True)
PY
