#!/usr/bin/env python3
"""Writes the current integrity of each first-party plugin into
plugins/registry.toml, from what `paii registry validate --fetch` computes
(paii's own hash, so this script hashes nothing itself). Run it after
changing a plugin; tests/plugins.rs fails while an entry is out of date."""
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
registry = root / "plugins" / "registry.toml"
paii = sys.argv[1] if len(sys.argv) > 1 else str(root / "target" / "debug" / "paii")
out = subprocess.run([paii, "registry", "validate", str(registry), "--fetch"], capture_output=True, text=True)
found = re.findall(r"error: (\S+) \S+: plugin `\S+`: integrity mismatch.*?\n\s+expected: (\S+)\n\s+computed: (\S+)", out.stdout + out.stderr)
text = registry.read_text()
for name, expected, computed in found:
    text = text.replace(f'path = "{name}"\nintegrity = "{expected}"', f'path = "{name}"\nintegrity = "{computed}"')
    print(f"{name}: {computed}")
# A new entry without integrity: paii names the value to add.
for name, computed in re.findall(r"note: (\S+) \S+: the tree hashes to (\S+?); add", out.stdout + out.stderr):
    text = text.replace(f'path = "{name}"\n', f'path = "{name}"\nintegrity = "{computed}"\n', 1)
    found.append((name, "", computed))
    print(f"{name}: {computed} (new)")
registry.write_text(text)
if not found:
    print(out.stdout + out.stderr, end="")
