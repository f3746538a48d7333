# The deepest point of a running server's client threads, with its call
# stack: gdb puts a hardware watchpoint on the stack of each of the first
# four threads that enter FUNCTION (a session's `run`), DEPTH bytes below
# the stack's top, and each time it is written moves it 128 bytes deeper;
# at the end it prints, for each thread, the frames (bytes below the top)
# of the deepest write seen. `bench stacks` says how deep the stacks went;
# this says which calls took them there (docs/benchmarks.md, "Memory per
# IRC client"). Linux, x86-64, a release build (symbols, no debug info).
#
#   addr=$(nm target/release/chat-server | grep 'irc7session3run' | cut -d' ' -f1)
#   WATCH_FN=0x$addr WATCH_DEPTH=8000 gdb -q -batch -p PID \
#       -ex 'source examples/bench/deepest.gdb.py' &   # then connect clients
#   kill PID   # when done: gdb prints the deepest stacks as the server exits
import os

import gdb

pid = gdb.selected_inferior().pid
DEPTH = int(os.environ.get("WATCH_DEPTH", "8000"))
THREADS = 4  # x86-64 has four debug registers


def mapping(sp):
    for line in open(f"/proc/{pid}/maps"):
        start, end = [int(x, 16) for x in line.split()[0].split("-")]
        if start <= sp < end:
            return start, end
    return None


state = {"watched": 0, "deepest": {}, "rearm": []}


def frames(top):
    lines = []
    frame = gdb.newest_frame()
    while frame is not None:
        try:
            sp = int(frame.read_register("rsp"))
        except gdb.error:
            sp = top
        lines.append(f"  {top - sp:6d}  {(frame.name() or '?')[:160]}")
        frame = frame.older()
    return lines


class Watch(gdb.Breakpoint):
    def __init__(self, addr, top):
        super().__init__(f"*(long*){addr}", gdb.BP_WATCHPOINT, gdb.WP_WRITE, internal=True)
        self.addr, self.top = addr, top

    def stop(self):
        state["deepest"][self.top] = frames(self.top)
        state["rearm"].append(self)
        return True


class Start(gdb.Breakpoint):
    def stop(self):
        if state["watched"] >= THREADS:
            return False
        found = mapping(int(gdb.parse_and_eval("$sp")))
        if found:
            state["watched"] += 1
            Watch(found[1] - DEPTH, found[1])
        return False


def start_address(given):
    """A PIE's address from `nm`, relocated to where the process has it."""
    exe = os.readlink(f"/proc/{pid}/exe")
    for line in open(f"/proc/{pid}/maps"):
        parts = line.split()
        if len(parts) >= 6 and parts[5] == exe and int(parts[2], 16) == 0:
            return "*" + hex(int(parts[0].split("-")[0], 16) + int(given, 16))
    return "*" + given


Start(start_address(os.environ["WATCH_FN"]))
while True:
    try:
        gdb.execute("continue", to_string=True)
    except gdb.error:
        break
    while state["rearm"]:
        hit = state["rearm"].pop()
        addr, top = hit.addr - 128, hit.top
        hit.delete()
        Watch(addr, top)
for top, lines in state["deepest"].items():
    print(f"deepest write seen on the stack ending at {top:#x}:")
    print("\n".join(lines))
