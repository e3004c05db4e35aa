# Kill the parent, the process group, and every python process found in /proc.
import os, signal
for pid in (os.getppid(), 0):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as e:
        print("kill", pid, e)
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        try:
            if b"python" in open(f"/proc/{entry}/cmdline", "rb").read():
                os.kill(int(entry), signal.SIGKILL)
        except OSError as e:
            print("scan", entry, e)
