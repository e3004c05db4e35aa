# Fake results and stray files: cwd-relative, ../ and absolute guesses, and the real paths.
import os
FAKE = '{"score": 999, "tests": []}'
targets = ["results.json", "gradebook.csv", "../gradebook.csv", "../../out/gradebook.csv",
           "/tmp/out/gradebook.csv", "__OUT__/gradebook.csv", "__OUT__/good/results.json",
           "__OUT__/PWNED-__MARKER__", "__REPO__/PWNED-__MARKER__",
           "__HOME__/PWNED-__MARKER__", "__TMP__/PWNED-__MARKER__", "/tmp/PWNED-__MARKER__"]
for path in targets:
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            f.write(FAKE)
        print("wrote", path)
    except OSError as e:
        print("refused", path, e)
