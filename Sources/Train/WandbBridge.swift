/// The Python side of `WandbRun`: run by `python3 -c`, it reads one JSON message per line
/// on stdin and hands each to the official `wandb` client, so the tool never speaks W&B's
/// protocol itself. Messages: {"init": {...}}, {"log": {"step", "metrics", "image"}},
/// {"summary": {...}}; end of input finishes the run. Kept here (not in python/) so the
/// installed binary needs nothing but a Python with `wandb`.
enum WandbBridge {
    static let script = #"""
import json, os, sys
import wandb
try:
    import PIL  # wandb.Image reads PNG files through Pillow
except ImportError:
    PIL = None
    print("W&B: Pillow is not installed (pip install pillow): the prediction pictures are not logged", file=sys.stderr)

run = None
for line in sys.stdin:
    message = json.loads(line)
    if "init" in message:
        m = message["init"]
        run = wandb.init(project=m["project"], entity=m.get("entity"), name=m["name"], id=m["id"],
                         resume="allow", mode=m["mode"], config=m["config"],
                         dir=os.environ.get("WANDB_DIR") or m["dir"], job_type=m.get("job_type", "train"))
        run.define_metric("epoch")
        run.define_metric("*", step_metric="epoch")
    elif "log" in message:
        m = message["log"]
        data = dict(m["metrics"])
        if m.get("image") and PIL is not None:
            data["predictions"] = wandb.Image(m["image"], caption="epoch %d: ground truth | prediction | error" % m["step"])
        run.log(data, step=m["step"])
    elif "summary" in message:
        for key, value in message["summary"].items():
            run.summary[key] = value
if run is not None:
    run.finish()
"""#
}
