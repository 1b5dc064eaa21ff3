#!/usr/bin/env python3
"""Writes manifest.json (the stress-corpus recipe) next to this file.

manifest.json is the recipe that build.sh / build_stress.py read; this script is how it is
written (helpers for photo pans, capture-effect presets, short-shot montages), so edit here and
run `python3 bench/corpus/make_manifest.py [--record SRC_ROOT]` to regenerate it (--record
recomputes every source sha256 from an unpacked source root).  The tune / heldout split is fixed
here and must not be changed after tuning starts.
"""
import json
import os
import sys

U = "/usr/share"
VISP = U + "/visp-images-data/ViSP-images"
WP = U + "/wallpapers"

SOURCES = {
    # real footage
    "diver": ("pd-extendedview", U + "/doc/pd-extendedview/media/diver.mov",
              ""),
    "cockatoo": ("python3-imageio", "/usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4", ""),
    "balle": ("python3-mecavideo", U + "/pymecavideo/data/video/balle-jbart.mp4", ""),
    "launch": ("renpy-demo", U + "/games/renpy/demo/game/oa4_launch.webm", ""),
    "hello": ("forensics-samples-files", U + "/forensics-samples/original-files/movie2/movie-hello.mp4", ""),
    "dog": ("forensics-samples-files", U + "/forensics-samples/original-files/movie1/VID_20191220_170832.mp4", ""),
    "dualmon": ("gnome-user-docs", U + "/help/C/gnome-help/figures/display-dual-monitors.webm", ""),
    # real camera image sequences (ViSP test data), 25 fps assumed
    "mire2": ("visp-images-data", VISP + "/mire-2/image.%04d.pgm", "", {"start": 1, "count": 501}),
    "mbtcube": ("visp-images-data", VISP + "/mbt/cube/image%04d.pgm", "", {"start": 0, "count": 218}),
    "cubeseq": ("visp-images-data", VISP + "/cube/image.%04d.pgm", "", {"start": 0, "count": 80}),
    "ellipse": ("visp-images-data", VISP + "/ellipse-1/image.%04d.pgm", "", {"start": 1, "count": 50}),
    # photos / paintings
    "solvay": ("visp-images-data", VISP + "/Solvay/Solvay_conference_1927_Version2_2126x1463.jpg", ""),
    "klimt": ("visp-images-data", VISP + "/Klimt/Klimt.jpeg", ""),
    "bythewater": ("plasma-workspace-wallpapers", WP + "/BytheWater/contents/images/2560x1600.jpg", ""),
    "coldripple": ("plasma-workspace-wallpapers", WP + "/ColdRipple/contents/images/2560x1600.jpg", ""),
    "cups": ("plasma-workspace-wallpapers", WP + "/ColorfulCups/contents/images/2560x1600.jpg", ""),
    "darkesthour": ("plasma-workspace-wallpapers", WP + "/DarkestHour/contents/images/2560x1600.jpg", ""),
    "eveningglow": ("plasma-workspace-wallpapers", WP + "/EveningGlow/contents/images/2560x1600.jpg", ""),
    "fallenleaf": ("plasma-workspace-wallpapers", WP + "/FallenLeaf/contents/images/2560x1600.jpg", ""),
    "grey": ("plasma-workspace-wallpapers", WP + "/Grey/contents/images/2560x1600.jpg", ""),
    "kite": ("plasma-workspace-wallpapers", WP + "/Kite/contents/images/2560x1600.jpg", ""),
    "onestandsout": ("plasma-workspace-wallpapers", WP + "/OneStandsOut/contents/images/2560x1600.jpg", ""),
    "path": ("plasma-workspace-wallpapers", WP + "/Path/contents/images/2560x1600.jpg", ""),
    "summer1am": ("plasma-workspace-wallpapers", WP + "/summer_1am/contents/images/2560x1600.jpg", ""),
    "milkyway": ("plasma-workspace-wallpapers", WP + "/MilkyWay/contents/images/5120x2880.png", ""),
    "themouse": ("ukui-wallpapers", U + "/backgrounds/the-mouse.jpg", ""),
    "goldfish": ("ukui-wallpapers", U + "/backgrounds/goldfish.png", ""),
    # documentation screenshots
    "appts": ("gnome-user-docs", U + "/help/C/gnome-help/figures/shell-appts.png", ""),
    "appts_classic": ("gnome-user-docs", U + "/help/C/gnome-help/figures/shell-appts-classic.png", ""),
    "shottool": ("gnome-user-docs", U + "/help/C/gnome-help/figures/screenshot-tool.png", ""),
    "workspaces": ("gnome-user-docs", U + "/help/C/gnome-help/figures/shell-workspaces.png", ""),
}

W, H = 640, 360


# ---------------------------------------------------------------------------------------------
# segment helpers
# ---------------------------------------------------------------------------------------------

def photo(key, frames, move="pan", x0=0.0, x1=1.0, y0=0.5, y1=0.5, sw=1280, z0=1.0, z1=1.25, desc="", tags=(), w=None, h=None, **kw):
    """a still photo made into a shot: pre-scaled to sw px wide, then a WxH window moving
    linearly from (x0,y0) to (x1,y1) (fractions of the free range), or a zoompan from z0 to z1,
    or a whip pan (static, fast 10-14 frame pan, static)."""
    w = w or W
    h = h or H
    s = {"image": key, "frames": frames, "fit": "none", "desc": desc, "tags": list(tags)}
    if move == "pan":
        s["pre"] = ("scale=%d:-2,crop=w=%d:h=%d:x='(iw-ow)*(%g+(%g)*n/({N}-1))':y='(ih-oh)*(%g+(%g)*n/({N}-1))'"
                    % (sw, w, h, x0, x1 - x0, y0, y1 - y0))
    elif move == "zoom":
        s["pre"] = "scale=%d:-2" % sw
        s["zoompan"] = {"z": "%g+(%g)*on/{N}" % (z0, z1 - z0), "x": "iw*%g-(iw/zoom/2)" % x0, "y": "ih*%g-(ih/zoom/2)" % y0}
    elif move == "whip":
        a, b = kw.pop("whip")
        s["pre"] = ("scale=%d:-2,crop=w=%d:h=%d:x='(iw-ow)*(%g+(%g)*min(1,max(0,(n-%d)/%d)))':y='(ih-oh)*%g',tmix=frames=3"
                    % (sw, w, h, x0, x1 - x0, a, b - a, y0))
        s.setdefault("events", []).append([a, b + 2, "fast_pan"])
    elif move == "static":
        s["pre"] = "scale=%d:-2,crop=w=%d:h=%d:x='(iw-ow)*%g':y='(ih-oh)*%g'" % (sw, w, h, x0, y0)
    s.update(kw)
    return s


def still(key, frames, desc="", tags=(), **kw):
    """a screenshot / document page shown whole (letterboxed)"""
    s = {"image": key, "frames": frames, "fit": "pad", "desc": desc, "tags": list(tags)}
    s.update(kw)
    return s


def clip(key, first, frames, timing="fps", desc="", tags=(), fit="crop", **kw):
    s = {"src": key, "in": first, "frames": frames, "timing": timing, "fit": fit, "desc": desc, "tags": list(tags)}
    s.update(kw)
    return s


# capture-effect presets -----------------------------------------------------------------------

def archival(flicker_bursts=(), weave_bursts=(), sepia=True):
    return [{"fx": "mono", "sepia": sepia},
            {"fx": "weave", "amp": 2, "bursts": [list(b) for b in weave_bursts]},
            {"fx": "flicker", "amp": 0.045, "bursts": [list(b) for b in flicker_bursts]},
            {"fx": "grain", "s": 10},
            {"fx": "dust", "thr": 184, "opacity": 0.6},
            {"fx": "scratches", "count": 2},
            {"fx": "vignette"}]


def underwater(particle_bursts=(), b=-0.1, grain=12):
    return [{"fx": "dark", "b": b, "gamma": 0.7, "sat": 0.7, "tint": True},
            {"fx": "grain", "s": grain},
            {"fx": "particles", "thr": 183, "opacity": 0.3, "vx": 0.4, "vy": -0.5,
             "bursts": [list(x) for x in particle_bursts]}]


def night(b=-0.2, grain=16, particle_bursts=None, gamma=0.55):
    fx = [{"fx": "dark", "b": b, "gamma": gamma, "sat": 0.5}, {"fx": "grain", "s": grain}]
    if particle_bursts is not None:
        fx.append({"fx": "particles", "thr": 184, "opacity": 0.3, "vx": -0.3, "vy": 0.7,
                   "bursts": [list(x) for x in particle_bursts]})
    return fx


def handheld(bursts=(), amp=4, pump=()):
    fx = [{"fx": "shake", "amp": amp, "rot": 0.008, "bursts": [list(b) for b in bursts]}]
    if pump:
        fx.append({"fx": "exposure_pump", "bursts": [list(b) for b in pump]})
    fx.append({"fx": "grain", "s": 5})
    return fx


def heavy_grain(s=28):
    return [{"fx": "grain", "s": s}]


CAD_2OF3 = {"pattern": "2-of-3 near-duplicates (each frame held 3x; noise after the hold makes the repeats near-duplicates)"}


def cad(fps, pattern):
    if pattern == "2of3":
        return {"hold_fps": "%d/3" % fps, "pattern": "each frame held 3x (1 new + 2 repeats), MJPEG-like once noise is added"}
    if pattern == "3:2":
        hold = {30: 12, 25: 10, 24: "48/5"}[fps]
        return {"hold_fps": str(hold), "pattern": "3:2 pulldown-like holds (3,2,3,2 ...)"}
    raise ValueError(pattern)


def cut(note=None):
    t = {"type": "cut"}
    if note:
        t["note"] = note
    return t


def xf(tr, frames, kind="wipe", note=""):
    return {"type": "xfade", "transition": tr, "frames": frames, "kind": kind, "note": note}


def fade(out=12, hold=6, inn=12, color="black"):
    return {"type": "fade", "color": color, "out": out, "hold": hold, "in": inn}


STRETCH = [("weave", "archival_film"), ("shake", "handheld_shake"), ("dark", "dark_noise")]


def video(vid, split, fps, classes, desc, parts, w=W, h=H):
    """parts: segment, transition, segment, ... A segment carrying one of the capture presets
    (archival weave, handheld shake, dark) also gets a whole-segment must-not-cut stretch."""
    segs = parts[0::2]
    for sg in segs:
        kinds = [fx["fx"] for fx in sg.get("fx", [])]
        for fxk, ev in STRETCH:
            if fxk in kinds and ev not in sg.get("segment_events", []):
                sg["segment_events"] = [ev] + sg.get("segment_events", [])
    trans = parts[1::2]
    return {"id": vid, "split": split, "fps": fps, "width": w, "height": h, "classes": classes, "desc": desc,
            "segments": segs, "transitions": trans}


RC = "repeat_cadence"

# ---------------------------------------------------------------------------------------------
# the videos.  Tune half: st01..st06; held-out half: sh01..sh06.  Sources are not shared between
# the halves, except the one real underwater clip (diver.mov), whose first half (frames 0-174)
# feeds the tune video and second half (175-350) the held-out one.
# ---------------------------------------------------------------------------------------------
V = []

# ---- tune ------------------------------------------------------------------------------------
V.append(video("st01_underwater_mjpeg", "tune", 25,
               ["cadence-2of3", "dark-noisy", "cut-in-dark-underwater", "dark-dissolve", "wipe", "short-shots", "flash"],
               "real underwater MJPEG clip (native repeat cadence: every third frame a near-duplicate), darkened with sensor noise and floating "
               "particles; a jump cut inside it; 2 s dissolve to a dark lake; circle-open wipe; short shots; a synthetic "
               "2-of-3 cadence pan", [
    clip("diver", 0, 85, "retime", "pd-extendedview diver.mov 0-84: underwater camera, bubbles; real MJPEG whose every third frame nearly repeats the previous one",
         ["real", "underwater", "dark", "cadence-native"], fx=underwater([[36, 54]]), segment_events=[RC]),
    cut("jump cut inside dark underwater footage"),
    clip("diver", 95, 80, "retime", "diver.mov 95-174: same dive, later (jump cut); its last 50 frames dissolve",
         ["real", "underwater", "dark", "similar-to-previous"], fx=underwater([[8, 22]]), segment_events=[RC]),
    xf("fade", 50, "dissolve", "2 s dissolve between two dark scenes"),
    photo("darkesthour", 150, "pan", 0.1, 0.5, 0.6, 0.55, desc="plasma DarkestHour (misty lake at dusk) darkened, slow pan",
          tags=["photo", "dark", "noise"], fx=night(-0.04, 14, gamma=0.85)),
    xf("circleopen", 20, "wipe"),
    photo("kite", 100, "zoom", 0.55, z0=1.0, z1=1.3, y0=0.45, desc="plasma Kite: slow zoom; white flash at 50-52",
          tags=["photo", "zoom", "flash"], flashes=[[50, 3]]),
    cut(),
    photo("cups", 12, "static", 0.3, y0=0.4, desc="ColorfulCups, 12-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("path", 8, "static", 0.5, y0=0.6, desc="Path (forest), 8-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("bythewater", 120, "pan", 0.0, 0.6, 0.5, 0.5, desc="BytheWater pan with a 2-of-3 frame-repeat cadence + light noise",
          tags=["photo", "pan", "cadence-2of3"], cadence=cad(25, "2of3"), fx=[{"fx": "grain", "s": 6}], segment_events=[RC]),
    cut(),
    photo("grey", 90, "zoom", 0.4, y0=0.6, z0=1.1, z1=1.3, desc="Grey (b/w architecture) slow zoom, noise", tags=["photo", "zoom"],
          fx=[{"fx": "grain", "s": 8}]),
]))

V.append(video("st02_archival_film", "tune", 24,
               ["archival", "flicker", "scratches-dust", "unsteady-frame", "wipe", "fade", "short-shots"],
               "archival film look (sepia, exposure flicker, gate weave, dust, scratches, grain, vignette) over the 1927 Solvay "
               "photograph, a real camera sequence (ViSP cube) and a b/w architecture photo", [
    photo("solvay", 130, "pan", 0.0, 0.7, 0.3, 0.4, sw=1600, desc="Solvay 1927 group photo, slow pan, archival look; flicker burst 40-60",
          tags=["photo", "archival", "pan"], fx=archival([[40, 60, 0.16]], [])),
    cut(),
    photo("solvay", 96, "zoom", 0.3, y0=0.35, z0=1.6, z1=2.0, sw=1600, desc="Solvay, zoom into the front row; gate-weave jolt 30-44",
          tags=["photo", "archival", "zoom", "similar-to-previous"], fx=archival([], [[30, 44, 6]])),
    xf("wipeleft", 18, "wipe"),
    clip("cubeseq", 20, 60, "retime", "ViSP cube sequence 20-79 (real camera moving round a cube on a comic page), archival look; flicker burst 24-38",
         ["real", "archival", "camera-motion"], fx=archival([[24, 38, 0.2]], [], sepia=False)),
    cut(),
    photo("grey", 110, "pan", 0.2, 0.5, 0.3, 0.6, desc="Grey (b/w architecture) diagonal pan, archival look; flicker burst 60-75",
          tags=["photo", "archival", "pan"], fx=archival([[60, 75, 0.14]], [[20, 30, 5]])),
    fade(12, 6, 12),
    photo("solvay", 12, "static", 0.85, y0=0.6, sw=1600, desc="Solvay, 12-frame close shot", tags=["photo", "archival", "short-shot"],
          fx=archival()),
    cut(),
    photo("grey", 100, "zoom", 0.7, y0=0.3, z0=1.2, z1=1.5, desc="Grey, zoom, archival look; flicker burst 30-50",
          tags=["photo", "archival", "zoom"], fx=archival([[30, 50, 0.18]], [[60, 70, 5]])),
    xf("slideleft", 16, "wipe"),
    photo("solvay", 60, "pan", 0.9, 0.6, 0.9, 0.8, sw=1600, desc="Solvay, back rows, slow pan, archival", tags=["photo", "archival", "pan"],
          fx=archival()),
    cut(),
    clip("cubeseq", 0, 16, "retime", "ViSP cube sequence 0-15 (before the sequence's dropped frames at 18), 16-frame shot",
         ["real", "archival", "short-shot"], fx=archival([], [], sepia=True)),
]))

V.append(video("st03_handheld_phone", "tune", 30,
               ["handheld-shake", "fps-upconversion", "cadence-3:2", "exposure-pump", "fast-pan", "wipe", "short-shots"],
               "handheld phone footage: a real 20 fps clip brought to 30 fps by frame repetition (fps filter), camera shake with "
               "bursts, auto-exposure pumping; photos shot 'handheld' with a 3:2 repeat cadence; slide and wipe transitions; a whip pan", [
    clip("cockatoo", 0, 150, "fps", "imageio cockatoo.mp4 0-99 (20 fps real handheld footage -> 30 fps by repetition), extra shake; burst 60-80",
         ["real", "handheld", "fps-upconversion"], fx=handheld([[60, 80, 8]], 3, [[100, 130, 0.12]]), segment_events=[RC]),
    cut(),
    photo("bythewater", 90, "pan", 0.2, 0.5, 0.4, 0.5, desc="BytheWater handheld (shake), shake burst 40-55", tags=["photo", "handheld"],
          fx=handheld([[40, 55, 10]])),
    xf("slideleft", 15, "wipe"),
    clip("cockatoo", 110, 150, "fps", "cockatoo.mp4 110-209 (bird close to the lens, pulls away fast at 150-160 = out 60-76), 20->30 fps repeats",
         ["real", "handheld", "fps-upconversion"], fx=handheld([[20, 34, 8]], 3), segment_events=[RC],
         events=[[58, 78, "fast_motion"]]),
    cut(),
    photo("cups", 120, "pan", 0.0, 0.7, 0.3, 0.7, desc="ColorfulCups handheld pan with a 3:2 repeat cadence",
          tags=["photo", "handheld", "cadence-3:2"], cadence=cad(30, "3:2"), fx=handheld([], 3), segment_events=[RC]),
    xf("wiperight", 20, "wipe"),
    photo("path", 100, "whip", 0.0, 1.0, y0=0.5, whip=(45, 57), desc="Path: static, 12-frame whip pan, static (one shot)",
          tags=["photo", "fast-pan"], fx=handheld([], 2)),
    cut(),
    photo("kite", 10, "static", 0.6, y0=0.4, desc="Kite, 10-frame shot", tags=["photo", "short-shot"], fx=handheld([], 3)),
    cut(),
    clip("cockatoo", 215, 90, "fps", "cockatoo.mp4 215-274", ["real", "handheld", "fps-upconversion"],
         fx=handheld([[30, 45, 9]], 3), segment_events=[RC]),
]))

V.append(video("st04_grain_static", "tune", 25,
               ["heavy-grain", "cadence-3:2", "short-shots", "pixelize", "wipe", "similar-cut", "flash"],
               "heavy film grain over a static camera (ball experiment) and still / slow photos, a 3:2 repeat cadence pan, "
               "a burst of 6-14 frame shots, a jump cut inside the static camera view, pixelize and wipe-up transitions", [
    clip("balle", 20, 120, "retime", "pymecavideo balle-jbart.mp4 20-139: static camera, bouncing ball; heavy grain",
         ["real", "static-camera", "grain"], fx=heavy_grain(28), segment_events=["grain"]),
    cut(),
    photo("grey", 100, "zoom", 0.5, y0=0.5, z0=1.0, z1=1.04, desc="Grey, near-static, heavy grain", tags=["photo", "static", "grain"],
          fx=heavy_grain(32), segment_events=["grain"]),
    xf("pixelize", 20, "dissolve", "xfade pixelize"),
    photo("path", 125, "pan", 0.1, 0.4, 0.5, 0.5, desc="Path slow pan, 3:2 repeat cadence (10 fps held to 25), grain",
          tags=["photo", "pan", "cadence-3:2", "grain"], cadence=cad(25, "3:2"), fx=heavy_grain(20), segment_events=[RC]),
    cut(),
    photo("cups", 6, "static", 0.6, y0=0.2, desc="6-frame shot", tags=["photo", "short-shot"], fx=heavy_grain(20)),
    cut(),
    photo("bythewater", 9, "static", 0.3, y0=0.8, desc="9-frame shot", tags=["photo", "short-shot"], fx=heavy_grain(20)),
    cut(),
    photo("darkesthour", 14, "static", 0.5, y0=0.6, desc="14-frame shot", tags=["photo", "short-shot"], fx=heavy_grain(20)),
    cut(),
    photo("kite", 11, "static", 0.2, y0=0.3, desc="11-frame shot", tags=["photo", "short-shot"], fx=heavy_grain(20)),
    cut(),
    clip("balle", 150, 100, "retime", "balle-jbart.mp4 150-249: same static camera later (jump cut after the short shots)",
         ["real", "static-camera", "grain"], fx=heavy_grain(28), segment_events=["grain"], flashes=[[60, 3]]),
    xf("wipeup", 20, "wipe"),
    photo("cups", 100, "static", 0.2, y0=0.5, desc="ColorfulCups still under heavy grain", tags=["photo", "static", "grain"],
          fx=heavy_grain(35), segment_events=["grain"]),
]))

V.append(video("st05_screens_slides", "tune", 30,
               ["fps-upconversion", "near-identical-slides", "wipe", "screencast"],
               "desktop screencast (15 fps -> 30 fps by repetition), documentation screenshots (a calendar pop-up in two themes), "
               "two near-identical stills of the Displays settings (monitors swapped), wipe and slide transitions", [
    clip("dualmon", 70, 150, "fps", "gnome-user-docs display-dual-monitors.webm 70-144 (15 fps screencast, each frame shown twice)",
         ["real", "screencast", "fps-upconversion"], fit="pad", segment_events=[RC]),
    cut(),
    still("appts", 90, "gnome-help shell-appts.png (calendar pop-up)", ["screenshot", "static"]),
    cut(),
    still("appts_classic", 90, "gnome-help shell-appts-classic.png: the same pop-up in GNOME Classic (same layout, light theme)",
          ["screenshot", "static"]),
    xf("wiperight", 20, "wipe"),
    still("shottool", 90, "gnome-help screenshot-tool.png", ["screenshot", "static"]),
    cut(),
    clip("dualmon", 200, 75, "retime", "display-dual-monitors.webm frame 200 held: Displays settings, laptop left of the external monitor",
         ["screenshot", "static"], fit="pad", pre="trim=end_frame=1,loop=loop=-1:size=1"),
    cut("similar"),
    clip("dualmon", 360, 75, "retime", "display-dual-monitors.webm frame 360 held: the same dialog with the monitors swapped "
         "(near-identical slide)", ["screenshot", "static", "similar-to-previous"], fit="pad", pre="trim=end_frame=1,loop=loop=-1:size=1"),
    xf("slideleft", 15, "wipe"),
    clip("dualmon", 300, 180, "fps", "display-dual-monitors.webm 300-389 (dragging displays in Settings)",
         ["real", "screencast", "fps-upconversion"], fit="pad", segment_events=[RC]),
    cut(),
    still("appts", 60, "shell-appts.png again", ["screenshot", "static"]),
    xf("circleopen", 20, "wipe"),
    clip("dualmon", 420, 100, "fps", "display-dual-monitors.webm 420-469", ["real", "screencast", "fps-upconversion"], fit="pad",
         segment_events=[RC]),
]))

V.append(video("st06_launch_montage", "tune", 24,
               ["native-cut", "short-shots", "dark-dissolve", "fade", "fast-pan", "flash"],
               "rocket launch footage (one native cut), a montage of 6-15 frame shots, a 2 s dissolve between two dark "
               "pictures, a fade through black, a whip pan and a flash", [
    clip("launch", 0, 194, "retime", "renpy-demo oa4_launch.webm: launch pad wide shot, native cut at 74 to the close view",
         ["real", "native-cuts"], native_cuts=[74], flashes=[[150, 3]]),
    cut(),
    photo("bythewater", 7, "static", 0.5, y0=0.5, desc="7-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("path", 11, "static", 0.2, y0=0.4, desc="11-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("kite", 15, "static", 0.8, y0=0.5, desc="15-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("cups", 6, "static", 0.9, y0=0.9, desc="6-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("grey", 13, "static", 0.4, y0=0.2, desc="13-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("darkesthour", 110, "pan", 0.6, 0.3, 0.5, 0.5, desc="DarkestHour darkened, slow pan", tags=["photo", "dark"],
          fx=night(-0.04, 12, gamma=0.85)),
    xf("fade", 48, "dissolve", "2 s dissolve between two dark scenes"),
    photo("themouse", 110, "zoom", 0.5, y0=0.45, z0=1.0, z1=1.2, desc="ukui the-mouse (dark), darkened, zoom", tags=["dark", "zoom"],
          fx=night(-0.03, 12, gamma=0.9)),
    fade(12, 0, 12),
    photo("kite", 120, "whip", 1.0, 0.0, y0=0.6, whip=(50, 62), desc="Kite: whip pan (one shot), flash at 95", tags=["photo", "fast-pan", "flash"],
          flashes=[[95, 3]]),
]))

# ---- held out --------------------------------------------------------------------------------
V.append(video("sh01_underwater_night", "heldout", 25,
               ["cadence-2of3", "dark-noisy", "cut-in-dark-underwater", "dark-dissolve", "wipe", "short-shots", "flash"],
               "second half of the real underwater MJPEG clip (native repeat cadence), darker, with particles; a jump cut inside "
               "it; 2 s dissolve to a night lake; night photos with noise and snow-like particles; a radial wipe; a synthetic 2-of-3 cadence", [
    clip("diver", 175, 80, "retime", "diver.mov 175-254: underwater, bubbles, swimmer's legs (native repeat cadence)",
         ["real", "underwater", "dark", "cadence-native"], fx=underwater([[30, 48]], -0.14, 14), segment_events=[RC]),
    cut("jump cut inside dark underwater footage"),
    clip("diver", 270, 80, "retime", "diver.mov 270-349 (jump cut)", ["real", "underwater", "dark", "similar-to-previous"],
         fx=underwater([[8, 22]], -0.14, 14), segment_events=[RC]),
    xf("fade", 50, "dissolve", "2 s dissolve between two dark scenes"),
    photo("summer1am", 130, "pan", 0.2, 0.6, 0.5, 0.5, desc="summer_1am (lake at night) darkened, noise, floating specks; burst 60-80",
          tags=["photo", "dark", "night", "noise"], fx=night(-0.1, 16, [[60, 80]], gamma=0.7)),
    cut(),
    photo("eveningglow", 10, "static", 0.5, y0=0.6, desc="10-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("onestandsout", 120, "pan", 0.1, 0.5, 0.2, 0.6, desc="OneStandsOut pan with a 2-of-3 frame-repeat cadence",
          tags=["photo", "pan", "cadence-2of3"], cadence=cad(25, "2of3"), fx=[{"fx": "grain", "s": 6}], segment_events=[RC]),
    xf("radial", 20, "wipe"),
    photo("coldripple", 100, "zoom", 0.5, y0=0.5, z0=1.0, z1=1.2, desc="ColdRipple (pier in fog) darkened, flash at 45",
          tags=["photo", "dark", "flash"], fx=night(-0.2, 14), flashes=[[45, 3]]),
    cut(),
    photo("fallenleaf", 8, "static", 0.6, y0=0.5, desc="8-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("goldfish", 90, "pan", 0.3, 0.6, 0.5, 0.4, desc="ukui goldfish, slow pan, noise", tags=["pan"], fx=[{"fx": "grain", "s": 8}]),
]))

V.append(video("sh02_archival_film", "heldout", 24,
               ["archival", "flicker", "scratches-dust", "unsteady-frame", "wipe", "fade", "short-shots"],
               "archival film look over a real camera sequence (ViSP model-based-tracking cube), the ViSP Klimt painting and a "
               "b/w pier photo", [
    clip("mbtcube", 0, 110, "retime", "ViSP mbt/cube sequence 0-109 (real camera, hand moving a cube), archival look; flicker burst 50-70",
         ["real", "archival"], fx=archival([[50, 70, 0.17]], [[20, 32, 6]])),
    cut(),
    photo("klimt", 100, "zoom", 0.5, y0=0.4, z0=1.0, z1=1.3, sw=900, desc="ViSP Klimt painting, zoom, archival look; flicker burst 40-55",
          tags=["photo", "archival", "zoom"], fx=archival([[40, 55, 0.15]], [])),
    xf("wipedown", 18, "wipe"),
    photo("coldripple", 120, "pan", 0.0, 0.6, 0.5, 0.5, desc="ColdRipple b/w, pan, archival look, weave jolt 60-72",
          tags=["photo", "archival", "pan"], fx=archival([[20, 35, 0.14]], [[60, 72, 6]], sepia=False)),
    cut(),
    photo("klimt", 12, "static", 0.3, y0=0.7, sw=900, desc="Klimt 12-frame close shot", tags=["photo", "archival", "short-shot"],
          fx=archival()),
    cut(),
    clip("mbtcube", 120, 98, "retime", "mbt/cube 120-217, archival look (jump cut to the same set-up)",
         ["real", "archival", "similar-to-previous"], fx=archival([[40, 58, 0.2]], [])),
    fade(12, 6, 12),
    photo("coldripple", 100, "zoom", 0.3, y0=0.6, z0=1.3, z1=1.6, desc="ColdRipple zoom, archival; flicker 55-75",
          tags=["photo", "archival"], fx=archival([[55, 75, 0.16]], [[20, 30, 5]])),
    xf("slideright", 16, "wipe"),
    photo("klimt", 90, "pan", 0.0, 1.0, 0.8, 0.2, sw=900, desc="Klimt diagonal pan, archival", tags=["photo", "archival", "pan"],
          fx=archival([], [[40, 52, 5]])),
]))

V.append(video("sh03_handheld_camera", "heldout", 30,
               ["handheld-shake", "fps-upconversion", "cadence-3:2", "exposure-pump", "fast-pan", "wipe", "short-shots"],
               "real handheld camera sequence (ViSP mire-2, 25 fps brought to 30 by repetition) with extra shake bursts, a real "
               "phone clip, photos shot 'handheld' with a 3:2 cadence, a whip pan, two wipes", [
    clip("mire2", 0, 180, "fps", "ViSP mire-2 0-149: handheld camera round a target on a table (25 -> 30 fps by repetition); shake bursts",
         ["real", "handheld", "fps-upconversion"], fx=handheld([[50, 70, 9], [130, 150, 8]], 3, [[90, 120, 0.12]]), segment_events=[RC]),
    cut(),
    clip("dog", 0, 40, "fps", "forensics-samples VID_20191220_170832.mp4: 1.6 s phone clip of a dog (40-frame shot)",
         ["real", "phone", "short-shot"], fx=handheld([], 2)),
    xf("wipeup", 15, "wipe", "not slideup: ffmpeg 5.1 xfade slideup rendered its first frame differently from run to run here"),
    photo("eveningglow", 120, "pan", 0.1, 0.6, 0.6, 0.6, desc="EveningGlow (boats) handheld pan, 3:2 repeat cadence",
          tags=["photo", "handheld", "cadence-3:2"], cadence=cad(30, "3:2"), fx=handheld([[70, 85, 9]], 3), segment_events=[RC]),
    cut(),
    clip("mire2", 250, 180, "fps", "mire-2 250-399", ["real", "handheld", "fps-upconversion"],
         fx=handheld([[40, 60, 10]], 3), segment_events=[RC]),
    xf("wipeleft", 20, "wipe"),
    photo("fallenleaf", 110, "whip", 0.0, 1.0, y0=0.6, whip=(50, 61), desc="FallenLeaf: static, whip pan, static (one shot)",
          tags=["photo", "fast-pan"], fx=handheld([], 2)),
    cut(),
    photo("summer1am", 12, "static", 0.5, y0=0.5, desc="12-frame shot", tags=["photo", "short-shot"], fx=handheld([], 3)),
    cut(),
    clip("mire2", 420, 80, "fps", "mire-2 420-486", ["real", "handheld", "fps-upconversion"], fx=handheld([], 3),
         segment_events=[RC]),
]))

V.append(video("sh04_grain_static", "heldout", 25,
               ["heavy-grain", "cadence-3:2", "short-shots", "pixelize", "wipe", "similar-cut", "flash"],
               "heavy grain over a static real camera sequence (ViSP ellipse), still photos and a slow zoom, a 3:2 cadence pan, "
               "6-15 frame shots, a cut between two crops of the same photo, pixelize and wipe transitions", [
    photo("onestandsout", 110, "zoom", 0.5, y0=0.5, z0=1.0, z1=1.03, desc="OneStandsOut (moss), near-static, heavy grain",
          tags=["photo", "static", "grain"], fx=heavy_grain(30), segment_events=["grain"]),
    cut(),
    clip("ellipse", 0, 50, "retime", "ViSP ellipse-1 sequence (real camera, ellipse target), heavy grain", ["real", "grain"],
         fx=heavy_grain(28), segment_events=["grain"]),
    xf("pixelize", 20, "dissolve", "xfade pixelize"),
    photo("summer1am", 125, "pan", 0.1, 0.5, 0.5, 0.5, desc="summer_1am slow pan, 3:2 cadence, grain",
          tags=["photo", "pan", "cadence-3:2", "grain"], cadence=cad(25, "3:2"), fx=heavy_grain(22), segment_events=[RC]),
    cut(),
    photo("eveningglow", 6, "static", 0.2, y0=0.6, desc="6-frame shot", tags=["photo", "short-shot"], fx=heavy_grain(20)),
    cut(),
    photo("coldripple", 9, "static", 0.5, y0=0.5, desc="9-frame shot", tags=["photo", "short-shot"], fx=heavy_grain(20)),
    cut(),
    photo("fallenleaf", 15, "static", 0.5, y0=0.5, desc="15-frame shot", tags=["photo", "short-shot"], fx=heavy_grain(20)),
    cut(),
    photo("onestandsout", 12, "static", 0.1, y0=0.1, desc="12-frame shot", tags=["photo", "short-shot"], fx=heavy_grain(20)),
    cut(),
    photo("fallenleaf", 100, "static", 0.45, y0=0.45, desc="FallenLeaf still under heavy grain, flash at 50", tags=["photo", "static", "grain"],
          fx=heavy_grain(34), segment_events=["grain"], flashes=[[50, 3]]),
    cut("similar"),
    photo("fallenleaf", 100, "static", 0.55, y0=0.5, desc="same photo, window shifted 64 px right (cut between near-identical shots)",
          tags=["photo", "static", "grain", "similar-to-previous"], fx=heavy_grain(34), segment_events=["grain"]),
    xf("wipeup", 20, "wipe"),
    clip("ellipse", 10, 40, "retime", "ellipse-1 10-49 under grain", ["real", "grain"], fx=heavy_grain(30)),
]))

V.append(video("sh05_screens_terminal", "heldout", 30,
               ["fps-upconversion", "near-identical-slides", "wipe", "screencast", "cadence-2of3"],
               "screencast with webcam inset (real), two near-identical stills of the same terminal (one more line of output), "
               "documentation screenshot scrolled at a 2-of-3 cadence, wipes", [
    clip("hello", 0, 120, "retime", "forensics-samples movie-hello.mp4 0-119: terminal screencast with a webcam inset", ["real", "screencast"],
         fit="pad"),
    xf("wipeleft", 20, "wipe"),
    photo("workspaces", 150, "pan", 0.0, 1.0, 0.5, 0.5, sw=1400, desc="shell-workspaces.png scrolled sideways at a 2-of-3 cadence",
          tags=["screenshot", "pan", "cadence-2of3"], cadence=cad(30, "2of3"), fx=[{"fx": "grain", "s": 4}], segment_events=[RC]),
    cut(),
    clip("hello", 30, 90, "retime", "movie-hello frame 30 held (terminal before `ls`)", ["screenshot", "static"], fit="pad",
         pre="trim=end_frame=1,loop=loop=-1:size=1"),
    cut("similar"),
    clip("hello", 200, 90, "retime", "movie-hello frame 200 held (terminal after `ls`: near-identical slide)",
         ["screenshot", "static", "similar-to-previous"], fit="pad", pre="trim=end_frame=1,loop=loop=-1:size=1"),
    xf("slidedown", 15, "wipe"),
    clip("hello", 120, 129, "retime", "movie-hello 120-248", ["real", "screencast"], fit="pad"),
    cut(),
    still("workspaces", 60, "shell-workspaces.png whole", ["screenshot", "static"]),
    xf("circleclose", 20, "wipe"),
    clip("dog", 0, 40, "fps", "phone clip (dog) 30 fps -> 30", ["real", "phone", "short-shot"], fit="crop",
         cadence=cad(30, "2of3"), fx=[{"fx": "grain", "s": 4}], segment_events=[RC]),
]))

V.append(video("sh06_goldfish_montage", "heldout", 24,
               ["short-shots", "dark-dissolve", "fade", "fast-pan", "flash", "dark-noisy", "wipe"],
               "montage of 6-15 frame shots, a 2 s dissolve between two dark pictures, a fade through black, a whip pan, flashes", [
    photo("goldfish", 100, "zoom", 0.55, y0=0.45, z0=1.0, z1=1.3, desc="ukui goldfish: zoom; flash at 60", tags=["zoom", "flash"],
          flashes=[[60, 3]]),
    cut(),
    photo("eveningglow", 8, "static", 0.3, y0=0.5, desc="8-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("coldripple", 14, "static", 0.5, y0=0.4, desc="14-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("onestandsout", 6, "static", 0.7, y0=0.3, desc="6-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("fallenleaf", 10, "static", 0.2, y0=0.8, desc="10-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("summer1am", 15, "static", 0.8, y0=0.5, desc="15-frame shot", tags=["photo", "short-shot"]),
    cut(),
    photo("milkyway", 110, "pan", 0.2, 0.5, 0.5, 0.5, sw=1400, desc="plasma MilkyWay (dark), darkened, noise", tags=["dark", "noise"],
          fx=night(-0.03, 14, gamma=0.9)),
    xf("fade", 48, "dissolve", "2 s dissolve between two dark scenes"),
    photo("coldripple", 110, "pan", 0.7, 0.3, 0.6, 0.6, desc="ColdRipple darkened to night, noise", tags=["photo", "dark", "noise"],
          fx=night(-0.22, 14)),
    fade(12, 0, 12),
    photo("eveningglow", 120, "whip", 0.0, 1.0, y0=0.5, whip=(40, 52), desc="EveningGlow: whip pan (one shot), flash at 90",
          tags=["photo", "fast-pan", "flash"], flashes=[[90, 3]]),
    cut(),
    clip("dog", 0, 32, "fps", "phone clip (dog) at 24 fps", ["real", "phone", "short-shot"]),
    xf("rectcrop", 18, "wipe"),
    photo("summer1am", 100, "zoom", 0.5, y0=0.5, z0=1.3, z1=1.0, desc="summer_1am zoom-out", tags=["photo", "zoom"]),
]))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    srcs = {}
    for k, t in SOURCES.items():
        d = {"package": t[0], "path": t[1], "sha256": t[2]}
        if len(t) > 3:
            d["sequence"] = t[3]
            d["rate"] = 25
        srcs[k] = d
    old = {}
    p = os.path.join(here, "manifest.json")
    if os.path.exists(p):
        with open(p) as f:
            old = json.load(f).get("sources", {})
    for k, d in srcs.items():  # keep recorded digests (recorded with --record SRC_ROOT)
        if not d["sha256"] and k in old and old[k].get("path") == d["path"]:
            d["sha256"] = old[k]["sha256"]
    if "--record" in sys.argv:  # record the sha256 of every source from an unpacked SRC_ROOT
        sys.path.insert(0, here)
        from build_stress import source_digest
        root = sys.argv[sys.argv.index("--record") + 1]
        for k, d in srcs.items():
            d["sha256"] = source_digest(d, root)
    pkgs = sorted({d["package"] for d in srcs.values()})
    m = {
        "name": "stress",
        "description": "Shot-detection stress corpus (issue 18): frame-repeat cadence, archival film, dark/noisy, grain, "
                       "handheld shake, wipes, dark dissolves, near-identical slides, short shots. Built from Debian bookworm "
                       "packages + ffmpeg; disjoint from ../shared/corpus's sources.",
        "debian_release": "bookworm",
        "packages": pkgs,
        "tool_packages": ["ffmpeg", "python3", "fonts-dejavu-core"],
        "encoder": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "14"],
        "threads": 2,
        "sources": srcs,
        "videos": V,
    }
    with open(p, "w") as f:
        json.dump(m, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
