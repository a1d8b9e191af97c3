"""Apache Kafka's jars, resolved once from Maven Central with Maven into a cache directory."""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from retailsync.errors import BrokerError

# 4.3.1 is the newest release for which Maven Central has both kafka_2.13 and kafka-tools.
KAFKA_VERSION = "4.3.1"
_COMPLETE = ".complete"
_MAVEN_TIMEOUT_S = 900


def java_executable() -> str:
    """``$JAVA_HOME/bin/java`` when JAVA_HOME is set, else the java on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None:
        raise BrokerError("java is not on PATH (Kafka 4 needs Java 17 or newer)")
    return java


def kafka_home(cache_dir: Path, version: str = KAFKA_VERSION) -> Path:
    return cache_dir / "kafka" / version


def resolve_kafka(cache_dir: Path, version: str = KAFKA_VERSION) -> Path:
    """The directory of Kafka's jars, running Maven only when the cache lacks them."""
    home = kafka_home(cache_dir, version)
    libs = home / "libs"
    if (home / _COMPLETE).exists():
        return libs
    maven = shutil.which("mvn")
    if maven is None:
        raise BrokerError("Maven (mvn) is not on PATH; it is needed once to fetch Kafka's jars")
    # Resolve into a private directory and rename it into place, so that an interrupted
    # download never looks like a complete cache.
    staging = home.with_name(f"{home.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    log_path = staging / "maven.log"
    with resources.as_file(resources.files("retailsync.broker") / "pom.xml") as pom:
        command = [
            maven, "--batch-mode", "--no-transfer-progress", "-f", str(pom),
            "dependency:copy-dependencies", "-DincludeScope=runtime",
            f"-Dkafka.version={version}", f"-DoutputDirectory={staging / 'libs'}",
        ]  # fmt: skip
        with log_path.open("w") as log:
            try:
                result = subprocess.run(
                    command, stdout=log, stderr=subprocess.STDOUT, timeout=_MAVEN_TIMEOUT_S,
                    check=False,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                raise BrokerError(f"Maven did not finish within {_MAVEN_TIMEOUT_S}s") from None
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        raise BrokerError(f"Maven could not resolve Kafka {version}:\n{tail}")
    (staging / _COMPLETE).write_text(f"kafka {version}\n")
    if home.exists():
        shutil.rmtree(staging)
    else:
        staging.rename(home)
    return libs
