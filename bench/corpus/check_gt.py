#!/usr/bin/env python3
"""Checks a built stress corpus against its ground truth (stdlib + ffmpeg).

usage: check_gt.py OUT_DIR [--only ID[,ID...]] [--threshold 0.12]

For every <id>.mp4 / <id>.json pair:
  * ffmpeg scene score per frame (320 px wide): every frame scoring >= threshold must lie at a cut
    (+-1), inside a gradual transition (+-1), inside a must-not-cut event, or inside a segment
    tagged with continuous fast motion; others are printed as UNEXPLAINED (look at them);
  * every annotated hard cut must have a visible change (scene score >= 0.02 at the cut, else it is
    printed as WEAK: expected only for cuts marked 'similar');
  * repeat-cadence events: the fraction of frames that nearly repeat the previous one (mean absolute
    luma difference below 35% of the event's 90th-percentile difference), and the repeat pattern.
Writes OUT_DIR/check.json.
"""
import json
import os
import statistics
import subprocess
import sys


def frame_stats(path):
    """per frame: (scene score, mean abs luma difference to the previous frame) at 320 px."""
    vf = ("scale=320:-2,split[a][b];[a]select='gte(scene\\,0)',metadata=print:file=/dev/stdout[o1];"
          "[b]signalstats,metadata=print:key=lavfi.signalstats.YDIF:file=/dev/stderr[o2]")
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", path, "-filter_complex",
           "[0:v]" + vf, "-map", "[o1]", "-f", "null", "-", "-map", "[o2]", "-f", "null", "-"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    scores = [float(l.split("=")[1]) for l in r.stdout.splitlines() if l.startswith("lavfi.scene_score=")]
    ydif = [float(l.split("=")[1]) for l in r.stderr.splitlines() if l.startswith("lavfi.signalstats.YDIF=")]
    return scores, ydif


def main():
    args = sys.argv[1:]
    only = None
    thr = 0.12
    if "--only" in args:
        i = args.index("--only")
        only = set(args[i + 1].split(","))
        del args[i:i + 2]
    if "--threshold" in args:
        i = args.index("--threshold")
        thr = float(args[i + 1])
        del args[i:i + 2]
    out_dir = args[0]
    report = []
    for fn in sorted(os.listdir(out_dir)):
        if not fn.endswith(".json") or fn in ("index.json", "check.json", "scan-sources.json"):
            continue
        vid = fn[:-5]
        if only and vid not in only:
            continue
        mp4 = os.path.join(out_dir, vid + ".mp4")
        if not os.path.exists(mp4):
            continue
        gt = json.load(open(os.path.join(out_dir, fn)))
        scores, ydif = frame_stats(mp4)
        explained = set()
        for c in gt["cuts"]:
            explained.update(range(c - 1, c + 2))
        for a, b, _ in gt["transitions"]:
            explained.update(range(a - 1, b + 2))
        events = set()
        for a, b, _ in gt["non_cut_events"]:
            events.update(range(a - 1, b + 2))
        unexplained, in_events = [], 0
        for i, s in enumerate(scores):
            if i == 0 or s < thr or i in explained:
                continue
            if i in events:
                in_events += 1
                continue
            seg = next((g for g in gt["segments"] if g["start"] <= i <= g["end"]), None)
            unexplained.append({"frame": i, "score": round(s, 3), "segment": seg["index"] if seg else None,
                                "desc": (seg or {}).get("desc", "")[:60]})
        weak = []
        notes = {d["frame"]: d["note"] for d in gt.get("cut_notes", [])}
        for c in gt["cuts"]:
            m = max(scores[max(0, c - 1):c + 2]) if c < len(scores) else 0
            if m < 0.02:
                weak.append({"cut": c, "max_score": round(m, 4), "note": notes.get(c, "")})
        cad = []
        for a, b, k in gt["non_cut_events"]:
            if k != "repeat_cadence":
                continue
            d = ydif[a:b + 1]
            med = statistics.median(d) if d else 0
            hi = sorted(d)[int(0.9 * (len(d) - 1))] if d else 0
            # a frame "repeats" when it differs from its predecessor by < 35% of the event's 90th percentile
            rep = [x < 0.35 * hi for x in d]
            patt = "".join("r" if r else "n" for r in rep[:24])
            cad.append({"event": [a, b], "repeat_fraction": round(sum(rep) / max(1, len(rep)), 3),
                        "median_ydif": round(med, 3), "pattern_first_24": patt})
        row = {"video": vid, "split": gt.get("split"), "frames": len(scores), "frame_count": gt["frame_count"],
               "peaks_ge_threshold_in_events": in_events, "unexplained": unexplained, "weak_cuts": weak,
               "cadence": cad}
        report.append(row)
        print("%s: %d frames; %d peaks >= %.2f inside must-not-cut events; unexplained %s; weak cuts %s"
              % (vid, len(scores), in_events, thr, [(u["frame"], u["score"]) for u in unexplained], weak))
        for c in cad:
            print("   cadence %s: repeats %.0f%%, median YDIF %.2f, pattern %s"
                  % (c["event"], 100 * c["repeat_fraction"], c["median_ydif"], c["pattern_first_24"]))
    with open(os.path.join(out_dir, "check.json"), "w") as f:
        json.dump({"threshold": thr, "videos": report}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
