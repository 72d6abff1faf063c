"""How far each lever of the agent preset gets, one at a time, leave-one-source-out.

Reuses the corpus, labels and leave-one-source-out models of bench_vad_loso.py (run it first:
its models are cached under build/vad_corpus/labels/) and scores, through the C state machine,
configs that change ONE thing of the agent preset before the start-run rule (``PRESET_BEFORE``)
at a time, and ``for_agents()`` as shipped now (with and without its start run), on the
ODD clips of every source with ``ours-loso`` labels (the model fitted without the scored source),
and the false starts per minute on the noise-only seeds 3, 6, 7 (7 kinds) and 9 (chords + call
tones) that no model was fitted on, in all and per noise kind:

* the hold (stop window T, inactive share I: the stop comes ~ceil(I*T) frames after the last voice);
* the start-run rule (``startRunCount`` R);
* the start voice_prob threshold;
* and the configs given with ``--config`` (e.g. the one ``bench_vad_loso.py --select`` chose).

Run: python benchmarks/bench_vad_levers.py [--config "30,20,60,0.6,0.8,70,50,-55,R=6"]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _report import print_table, save  # noqa: E402
import bench_vad_loso as loso  # noqa: E402
import fit_vad_model as fit  # noqa: E402
from fit_vad_model import C_SRC, Features  # noqa: E402
import vad_corpus  # noqa: E402

from agora_rtc.voice_detection import AudioVadConfigV2  # noqa: E402


def parse_config(text):
    parts = text.split(",")
    kw = {}
    pos = []
    for p in parts:
        if p.startswith("R="):
            kw["startRunCount"] = int(p[2:])
        else:
            pos.append(float(p) if "." in p or p.startswith("-") else int(p))
    return AudioVadConfigV2(*pos, **kw)


# the agent preset before the start-run rule: the levers are measured against it
PRESET_BEFORE = AudioVadConfigV2(30, 20, 60, 0.6, 0.8, 70, 50, -55.0)


def variants(extra):
    base = PRESET_BEFORE

    def change(name, **kw):
        c = base.__copy__()
        for k, v in kw.items():
            setattr(c, k, v)
        return name, c
    out = [("preset before (30, 20, 60, 0.6, 0.8, 70, 50, -55)", base)]
    out += [change(f"hold: T={T}, I={I}", stopRecognizeCount=T, inactivePercent=I)
            for T, I in ((50, 0.9), (60, 0.75), (60, 0.9), (80, 0.8))]
    out += [change(f"start run R={R}", startRunCount=R) for R in (4, 6, 8, 10, 12)]
    out += [change(f"start voice_prob {v}", startVoiceProb=v) for v in (80, 90)]
    out += [change(f"start voice_prob {v} + R=8", startVoiceProb=v, startRunCount=8) for v in (80,)]
    now = AudioVadConfigV2.for_agents()
    out += [("for_agents() now", now), ("for_agents() now, R=0", now.__copy__())]
    out[-1][1].startRunCount = 0
    out += [(f"--config {t}", parse_config(t)) for t in extra]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", action="append", default=[], help="P,S,T,A,I,start_vp,stop_vp,rms[,R=n]")
    ap.add_argument("--out", default="bench_vad_levers")
    args = ap.parse_args()
    t0 = time.time()
    cache = os.path.join(vad_corpus.CACHE, "labels")
    sources = sorted(vad_corpus.list_sources())
    feat = Features(C_SRC)
    labels, clean, negatives = fit.load_corpus(feat, sources)
    noise = {3: vad_corpus.noise_clips(3) + vad_corpus.noise_clips(6, per_kind=4) + vad_corpus.noise_clips(7, per_kind=4),
             "extra": vad_corpus.noise_clips(9, per_kind=4, kinds=vad_corpus.EXTRA_NEGATIVE_KINDS)}
    noise = {k: [(c, fit.corpus_labels(c, feat, cache)) for c in v] for k, v in noise.items()}
    feat.close()
    key = hashlib.sha256(repr((sources, fit.CORPUS_SEED, fit.CLIPS_PER_SOURCE, fit.EPOCHS, fit.HIDDEN, fit.TEACHER_MIX,
                               fit.RELEASE, fit.negative_sets(), fit.CLEAN_CLIPS, fit.ONSET_FRAMES, fit.ONSET_WEIGHT,
                               fit.PAUSE_FRAMES, fit.BIAS_SHIFT, vad_corpus.RECIPE)).encode()
                         + open(C_SRC, "rb").read()).hexdigest()[:16]
    mpath = os.path.join(cache, f"loso_models_{key}.npz")
    if not os.path.exists(mpath):
        sys.exit(f"no cached leave-one-source-out models ({mpath}): run bench_vad_loso.py first")
    z = np.load(mpath)
    models = {s: tuple(z[f"{s}/{i}"] for i in range(5)) + (float(z[f"{s}/5"]), fit.RELEASE) for s in sources}
    odd = [(c, lab, loso.vp_of("ours-loso", s, lab, models)) for s in sources
           for i, (c, lab) in enumerate(labels[s]) if i % 2]
    # noise belongs to no source: the model fitted without the first source, as bench_vad_loso
    nz = {k: [(lab, loso.vp_of("ours-loso", sources[0], lab, models), c["rate"]) for c, lab in v]
          for k, v in noise.items()}
    kinds = sorted({c["noise"] for v in noise.values() for c, _ in v})
    per_kind = {kind: [(lab, loso.vp_of("ours-loso", sources[0], lab, models), c["rate"])
                       for v in noise.values() for c, lab in v if c["noise"] == kind] for kind in kinds}
    rows, out, kind_rows = [], {}, []
    for name, cfg in variants(args.config):
        nat = cfg._native()
        q = loso.pool([loso.clip_score(*loso.run_machine(nat, lab["dbfs"], vp, c["rate"]), c["truth"])
                       for c, lab, vp in odd])
        fs = {k: loso.false_starts_per_min(nat, v) for k, v in nz.items()}
        fk = {kind: loso.false_starts_per_min(nat, v) for kind, v in per_kind.items()}
        out[name] = dict(config=list(nat), **q, false_starts_7_kinds=fs[3], false_starts_chords_tones=fs["extra"],
                         false_starts_per_kind=fk)
        kind_rows.append([name] + [fk[k] for k in kinds])
        rows.append([name, q["f1"], q["precision"], q["recall"], f"{q['found']}/{q['true']}",
                     q["found"] / max(q["true"], 1), q["start_ms"], fs[3], fs["extra"]])
    print_table("One lever at a time, ours-loso (odd clips of all 21 sources, each scored by the model fitted "
                "without it; noise seeds 3, 6, 7 and 9)",
                ["config", "F1", "precision", "recall", "found/true", "seg/utt", "start ms",
                 "fs/min 7 kinds", "fs/min chords+tones"], rows)
    print_table("False starts per minute per noise kind (noise seeds 3, 6, 7, 9)", ["config"] + kinds, kind_rows)
    save(args.out, {"sources": sources, "reported_on": "odd clips; noise seeds 3, 6, 7 (+ 9, extra kinds)",
                    "detector": "ours-loso", "variants": out, "seconds": time.time() - t0})


if __name__ == "__main__":
    main()
