"""Render the documentation gallery into docs/gallery/ (PNG, 100 dpi).

    python tools/make_gallery.py [OUTDIR]

The same as ``python -m dualdiff.plot --gallery``; the figures are listed in
``dualdiff.plot.GALLERY``.  Needs matplotlib (``pip install -e ".[plot]"``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from dualdiff.plot import main

    sys.exit(main(["--gallery", *(sys.argv[1:] or ["docs/gallery"])]))
