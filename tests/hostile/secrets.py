# Look for the grader's secrets in our environment and in every process's /proc/*/environ,
# and try the network; a finding breaks Dropout, so the score tells.
import os, socket
found = [k for k in os.environ if "SECRET" in k or "TOKEN" in k]
for entry in os.listdir("/proc"):
    try:
        if b"__SECRET__" in open(f"/proc/{entry}/environ", "rb").read():
            found.append(f"/proc/{entry}/environ")
    except OSError:
        pass
try:
    socket.create_connection(("127.0.0.1", __PORT__), timeout=2).close()
    found.append("network")
except OSError as e:
    print("no network:", e)
print("found:", found)
if found:
    Dropout = None
