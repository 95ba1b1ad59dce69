#!/usr/bin/env python3
"""Does `paii registry validate` agree with `claude plugin validate` (the
manifest part: pass or fail) on every in-repository plugin of the
marketplaces cloned under /tmp/markets? Prints `N/M agree` and each
disagreement with both outputs' first lines.

    scripts/validate-parity.py [MARKET_DIR ...]

Uses target/debug/paii and the pinned client in target/claude-code, in a
throwaway HOME; offline."""
import sys
import json, subprocess, pathlib, os, tempfile
ROOT=pathlib.Path(__file__).resolve().parent.parent
C=str(ROOT/"target/claude-code/node_modules/@anthropic-ai/claude-code-linux-x64/claude")
P=str(ROOT/"target/debug/paii")
home=tempfile.mkdtemp()
env={"PATH":os.environ["PATH"],"HOME":home,"CLAUDE_CONFIG_DIR":home+"/c","PAII_HOME":home+"/p","CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC":"1","NO_COLOR":"1"}
tot=agree=0; diffs=[]
for root in [pathlib.Path(a) for a in sys.argv[1:]] or [pathlib.Path("/tmp/markets")/m for m in ["claude-code","claude-plugins-official","knowledge-work-plugins","skills"]]:
    m=root.name
    mk=json.load(open(root/".claude-plugin/marketplace.json"))
    for p in mk["plugins"]:
        s=p["source"]
        if not isinstance(s,str): continue
        d=(root/s).resolve()
        if not (d/".claude-plugin/plugin.json").is_file(): continue
        c=subprocess.run([C,"plugin","validate",str(d)],capture_output=True,text=True,env=env,timeout=60)
        ctext=c.stdout+c.stderr
        # the manifest part only: before the directory checks
        head=ctext.split("Plugin directory checks")[0]
        cok = "✘" not in head
        r=subprocess.run([P,"registry","validate",str(d)],capture_output=True,text=True,env=env,timeout=60)
        pok = r.returncode==0
        tot+=1
        if cok==pok: agree+=1
        else: diffs.append((m,p["name"],cok,pok,head.strip()[:300],(r.stdout+r.stderr).strip()[:300]))
print(f"{agree}/{tot} agree")
for d in diffs: print(d)
