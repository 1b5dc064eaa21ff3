"""PySceneDetect's AdaptiveDetector, with its defaults, as an anchor for bench/detect.ts.

    /usr/bin/python3 bench/pyscenedetect_anchor.py <pyscenedetect-checkout> <video> [<video>...]

<pyscenedetect-checkout> is a source checkout of https://github.com/Breakthrough/PySceneDetect kept
outside this project (the folder that holds the `scenedetect` package); it is put first on
sys.path. Nothing of PySceneDetect is copied here. Needs OpenCV and numpy for the Python that runs
this (Debian: python3-opencv python3-numpy; /usr/bin/python3, not a pyenv Python).

Prints one JSON line per video: {"video", "version", "opencv", "python", "cuts", "cut_seconds",
"seconds"}, where
"cuts" are the first frames of the detected scenes after the first one (0-based frame numbers,
the same convention as the ground truth's "cuts" and scenecrf's shot boundaries) and "seconds"
is the wall time of detect() alone.
"""

import json
import sys
import time


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    sys.path.insert(0, sys.argv[1])
    import cv2
    import scenedetect
    from scenedetect import AdaptiveDetector, detect

    if not scenedetect.__file__.startswith(sys.argv[1].rstrip("/") + "/"):
        print(f"scenedetect imported from {scenedetect.__file__}, not from {sys.argv[1]}", file=sys.stderr)
        return 1
    for video in sys.argv[2:]:
        t = time.perf_counter()
        scenes = detect(video, AdaptiveDetector())
        seconds = time.perf_counter() - t
        starts = [start for start, _end in scenes[1:]]
        print(
            json.dumps(
                {
                    "video": video,
                    "version": scenedetect.__version__,
                    "opencv": cv2.__version__,
                    "python": sys.version.split()[0],
                    "cuts": [s.frame_num for s in starts],
                    "cut_seconds": [round(float(s.seconds), 6) for s in starts],
                    "seconds": round(seconds, 3),
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
