"""Copy the pinned npm packages' browser builds into static/vendor (run by `make assets`).

Pages load only these local copies: the district network is closed, no CDN can be reached.
"""
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "static" / "vendor"

FILES = {
    "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js": "leaflet.vectorgrid.min.js",
    "idb-keyval/dist/umd.js": "idb-keyval.umd.js",
    # Accessibility rules, injected into pages by the browser tests only (no page loads it).
    "axe-core/axe.min.js": "axe.min.js",
    # The command centre's big screen: line and bar charts (the "common" build has both).
    "echarts/dist/echarts.common.min.js": "echarts.common.min.js",
    # The console's heat layer (foresight): Leaflet's canvas heat map.
    "leaflet.heat/dist/leaflet-heat.js": "leaflet-heat.js",
}


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, target in FILES.items():
        shutil.copyfile(HERE / "node_modules" / source, VENDOR / target)


if __name__ == "__main__":
    main()
