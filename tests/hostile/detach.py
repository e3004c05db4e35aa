# Leave processes behind: a double-forked daemon and a sleeper in its own session.
import os, subprocess
subprocess.Popen(["sh", "-c", "sleep 1000; : __MARKER__"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sh", ["sh", "-c", "sleep 1000; : __MARKER__"])
    os._exit(0)
