"""What every benchmark's JSON file says of the run, besides its results."""

import json
import os
import platform


def write_json(path, document):
    """Writes `document` to `path` as JSON, with the backend and the machine."""
    import keras

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "backend": keras.backend.backend(), "keras": keras.__version__,
        **document,
        "cpus": os.cpu_count(), "machine": platform.platform(),
    }, indent=2))
    print(f"wrote {path}")
