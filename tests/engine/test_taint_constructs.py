"""The taint engine, one Python construct at a time: a flow through it and its safe twin.

Each program is a small Flask module (see ``taint_support.PRELUDE``). A trailing ``# AIS201`` or
``# AIS202`` marks the line where a finding is reported (the sink call); the test asserts that
the scanner reports exactly the marked (rule, line) pairs: nothing missing, nothing more. A
``-safe`` case is the same code made safe and must be silent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from taint_support import found_lines, marked, program, scan_tree, tree_found, tree_marked

# Known gaps of the engine: each test still states what a reviewer expects, and fails (strict
# xfail) the day the engine gets it right, so the marker must then be removed.
KNOWN_GAPS = {
    "classmethod-constructor": "the type of an object returned by a factory method is not "
    "tracked, so its methods are not resolved",
    "guard-after-derivation-safe": "a guard on a variable does not reach values already built "
    "from it",
    "field-set-through-super-init": "super().__init__ is not resolved",
    "property": "reading a @property is not analysed as a call",
    "kwargs-forwarding": "**kwargs is not mapped onto the callee's parameters",
}


def case(body: str, name: str) -> object:
    gap = KNOWN_GAPS.get(name)
    marks = [pytest.mark.xfail(strict=True, reason=f"known gap: {gap}")] if gap else []
    return pytest.param(program(body), id=name, marks=marks)


# --- assignments ---------------------------------------------------------------------------

ASSIGNMENTS = [
    case(
        """
        @app.route("/run")
        def run():
            cmd = request.args["cmd"]
            os.system(cmd)  # AIS201
        """,
        "assign",
    ),
    case(
        """
        @app.route("/run")
        def run():
            cmd = request.args["cmd"]
            cmd = "uptime"
            os.system(cmd)
        """,
        "assign-overwritten-safe",
    ),
    case(
        """
        @app.route("/ssh")
        def ssh():
            host, port = request.args["host"], "22"
            os.system(f"ssh -p {port} {host} uptime")  # AIS201
        """,
        "tuple-unpacking",
    ),
    case(
        """
        @app.route("/ssh")
        def ssh():
            host, port = "bastion.internal", request.args["port"]
            os.system(f"ssh {host} uptime")
        """,
        "tuple-unpacking-safe",
    ),
    case(
        """
        @app.route("/ssh")
        def ssh():
            user, host = request.args["target"].split("@", 1)
            os.system(f"ssh {host} uptime")  # AIS201
        """,
        "tuple-unpacking-from-call",
    ),
    case(
        """
        @app.route("/grep")
        def grep():
            cmd = "grep -rn "
            cmd += request.args["pattern"]
            cmd += " /var/log/app"
            os.system(cmd)  # AIS201
        """,
        "augmented",
    ),
    case(
        """
        @app.route("/grep")
        def grep():
            cmd = "grep -rn "
            cmd += shlex.quote(request.args["pattern"])
            cmd += " /var/log/app"
            os.system(cmd)
        """,
        "augmented-safe",
    ),
    case(
        """
        @app.route("/whois")
        def whois():
            if (domain := request.args.get("domain")) is not None:
                os.system("whois " + domain)  # AIS201
        """,
        "walrus",
    ),
    case(
        """
        @app.route("/seq")
        def seq():
            if (count := request.args.get("n", "")).isdigit():
                os.system("seq " + count)
        """,
        "walrus-guarded-safe",
    ),
    case(
        """
        @app.route("/logs")
        def logs():
            if (sort := request.args.get("sort", "time")) in ALLOWED:
                os.system(f"ls -l --sort={sort} /var/log")
        """,
        "walrus-allow-listed-safe",
    ),
    case(
        """
        @app.route("/cleanup")
        def cleanup():
            for path in request.args.getlist("path"):
                os.system("rm -f " + path)  # AIS201
        """,
        "for-target",
    ),
    case(
        """
        @app.route("/cleanup")
        def cleanup():
            for index, path in enumerate(request.args.getlist("path")):
                os.system(f"rm -f /tmp/upload-{index}.part")
        """,
        "for-target-enumerate-index-safe",
    ),
    case(
        """
        @app.route("/batch", methods=["POST"])
        def batch():
            with request.files["script"].stream as stream:
                os.system(stream.read().decode())  # AIS201
        """,
        "with-as",
    ),
    case(
        """
        @app.route("/batch", methods=["POST"])
        def batch():
            request.files["script"].save("/tmp/upload.sh")
            with open("/etc/dashboard/nightly.sh", encoding="utf-8") as script:
                os.system(script.read())
        """,
        "with-as-safe",
    ),
]

# --- string building -------------------------------------------------------------------------

STRINGS = [
    case(
        """
        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            os.system(f"convert {name} thumb.png")  # AIS201
        """,
        "f-string",
    ),
    case(
        """
        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            os.system(f"convert {shlex.quote(name)} thumb.png")
        """,
        "f-string-safe",
    ),
    case(
        """
        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            os.system("convert %s thumb.png" % name)  # AIS201
            os.system("%s %s thumb.png" % ("convert", name))  # AIS201
        """,
        "percent",
    ),
    case(
        """
        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            os.system("convert %s thumb.png" % shlex.quote(name))
        """,
        "percent-safe",
    ),
    case(
        """
        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            os.system("convert {} thumb.png".format(name))  # AIS201
            os.system("convert {src} thumb.png".format(src=name))  # AIS201
        """,
        "format",
    ),
    case(
        """
        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            os.system("convert {} thumb.png".format(shlex.quote(name)))
        """,
        "format-safe",
    ),
    case(
        """
        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            os.system("convert " + name + " thumb.png")  # AIS201
        """,
        "concat",
    ),
    case(
        """
        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            os.system("convert " + shlex.quote(name) + " thumb.png")
        """,
        "concat-safe",
    ),
    case(
        """
        @app.route("/tar")
        def tar():
            files = request.args.getlist("file")
            os.system(" ".join(["tar", "czf", "out.tgz", *files]))  # AIS201
        """,
        "join",
    ),
    case(
        """
        @app.route("/tar")
        def tar():
            files = request.args.getlist("file")
            os.system(" ".join(shlex.quote(f) for f in ["tar", "czf", "out.tgz", *files]))
        """,
        "join-safe",
    ),
]

# --- containers and reads from them ----------------------------------------------------------

CONTAINERS = [
    case(
        """
        @app.route("/ls")
        def ls():
            argv = ["ls", "-l", request.args["dir"]]
            os.system(" ".join(argv))  # AIS201
            os.system(argv[2])  # AIS201
        """,
        "list",
    ),
    case(
        """
        @app.route("/ls")
        def ls():
            # An argv list with a fixed program, no shell: the directory is one argument.
            argv = ["ls", "-l", request.args["dir"]]
            subprocess.run(argv, check=True)
        """,
        "list-argv-safe",
    ),
    case(
        """
        @app.route("/ls")
        def ls():
            argv = []
            argv.append("ls")
            argv.append(request.args["dir"])
            os.system(" ".join(argv))  # AIS201
        """,
        "list-append",
    ),
    case(
        """
        @app.route("/ls")
        def ls():
            options = {"dir": request.args["dir"], "flags": "-l"}
            os.system("ls " + options["dir"])  # AIS201
            os.system("ls " + options.get("dir", "."))  # AIS201
        """,
        "dict",
    ),
    case(
        """
        @app.route("/ls")
        def ls():
            options = {"dir": "/srv", "user": request.args["user"]}
            os.system("ls " + options["dir"])
        """,
        "dict-other-key-safe",
    ),
    case(
        """
        @app.route("/ls")
        def ls():
            env = {}
            env["target"] = request.args["dir"]
            os.system("ls " + env["target"])  # AIS201
        """,
        "dict-store",
    ),
    case(
        """
        @app.route("/id")
        def ident():
            names = set()
            names.add(request.args["user"])
            for name in names:
                os.system("id " + name)  # AIS201
        """,
        "set",
    ),
    case(
        """
        @app.route("/id")
        def ident():
            names = {"root", "www-data"}
            request.args.get("user")
            for name in names:
                os.system("id " + name)
        """,
        "set-safe",
    ),
    case(
        """
        @app.route("/sync")
        def sync():
            flags = [f"--exclude={p}" for p in request.args.getlist("exclude")]
            os.system("rsync -a " + " ".join(flags) + " src/ dst/")  # AIS201
            env = {k: v for k, v in request.args.items()}
            os.system("deploy " + env["target"])  # AIS201
        """,
        "comprehension",
    ),
    case(
        """
        @app.route("/sync")
        def sync():
            flags = [f"--exclude={shlex.quote(p)}" for p in request.args.getlist("exclude")]
            os.system("rsync -a " + " ".join(flags) + " src/ dst/")
            keys = [k for k in request.args.getlist("sort") if k in ALLOWED]
            os.system("ls --sort=" + keys[0])
        """,
        "comprehension-safe",
    ),
]

# --- attributes, subscripts, methods on tainted receivers ------------------------------------

ATTRIBUTES = [
    case(
        """
        @app.route("/hook", methods=["POST"])
        def hook():
            os.system("git fetch " + request.json["repository"]["name"])  # AIS201
            os.system("geoiplookup " + request.headers.get("X-Forwarded-For", ""))  # AIS201
            os.system("echo " + request.path)  # AIS201
        """,
        "request-attributes-and-subscripts",
    ),
    case(
        """
        @app.route("/hook", methods=["POST"])
        def hook():
            os.system(f"echo {request.content_length} >> /var/log/sizes")
        """,
        "request-non-data-attribute-safe",
    ),
    case(
        """
        class Settings:
            pass

        @app.route("/run")
        def run():
            settings = Settings()
            settings.command = request.args["cmd"]
            os.system(settings.command)  # AIS201
        """,
        "attribute-store",
    ),
    case(
        """
        class Settings:
            pass

        @app.route("/run")
        def run():
            settings = Settings()
            settings.command = "uptime"
            settings.user = request.args["user"]
            os.system(settings.command)
        """,
        "attribute-other-field-safe",
    ),
    case(
        """
        @app.route("/checkout")
        def checkout():
            branch = request.args["branch"].strip().lower()
            os.system("git checkout " + branch)  # AIS201
            os.system("git checkout " + branch.replace(" ", "-").encode().decode())  # AIS201
        """,
        "method-on-tainted-receiver",
    ),
    case(
        """
        @app.route("/deploy")
        def deploy():
            verbose = request.args.get("verbose", "").lower() in ("1", "true")
            size = len(request.args.get("name", ""))
            os.system(f"make deploy VERBOSE={int(verbose)} SIZE={size}")
        """,
        "method-result-not-data-safe",
    ),
]

# --- returns, yields, lambdas, nested functions ----------------------------------------------

FUNCTIONS = [
    case(
        """
        @app.route("/run")
        def run():
            cmd = request.args["cmd"]
            try:
                os.system(cmd)  # AIS201
            except* ValueError:
                os.system("true")
            os.system(cmd)  # AIS201
        """,
        "except-star",
    ),
    case(
        """
        def ping_command(host):
            return f"ping -c 1 {host}"

        def requested_host():
            return request.args["host"]

        @app.route("/ping")
        def ping():
            os.system(ping_command(request.args["host"]))  # AIS201
            os.system("ping " + requested_host())  # AIS201
        """,
        "returns",
    ),
    case(
        """
        def ping_command(host):
            return "ping -c 1 localhost"

        @app.route("/ping")
        def ping():
            os.system(ping_command(request.args["host"]))
        """,
        "returns-safe",
    ),
    case(
        """
        def requested_hosts():
            for host in request.args.getlist("host"):
                yield host.strip()

        @app.route("/ping")
        def ping():
            for host in requested_hosts():
                os.system("ping -c 1 " + host)  # AIS201
        """,
        "yields",
    ),
    case(
        """
        def quoted(items):
            for item in items:
                yield shlex.quote(item)

        @app.route("/ping")
        def ping():
            for host in quoted(request.args.getlist("host")):
                os.system("ping -c 1 " + host)
        """,
        "yields-safe",
    ),
    case(
        """
        @app.route("/trace")
        def trace():
            build = lambda host: f"traceroute {host}"  # noqa: E731
            os.system(build(request.args["host"]))  # AIS201
        """,
        "lambda",
    ),
    case(
        """
        @app.route("/trace")
        def trace():
            build = lambda host: f"traceroute {shlex.quote(host)}"  # noqa: E731
            os.system(build(request.args["host"]))
        """,
        "lambda-safe",
    ),
    case(
        """
        @app.route("/trace")
        def trace():
            host = request.args["host"]
            run = lambda: os.system("traceroute " + host)  # AIS201
            run()
        """,
        "lambda-body-sink",
    ),
    case(
        """
        @app.route("/restart")
        def restart():
            service = request.args["service"]

            def do_restart():
                os.system("systemctl restart " + service)  # AIS201

            do_restart()
        """,
        "nested-closure",
    ),
    case(
        """
        @app.route("/restart")
        def restart():
            service = shlex.quote(request.args["service"])

            def do_restart():
                os.system("systemctl restart " + service)

            do_restart()
        """,
        "nested-closure-safe",
    ),
    case(
        """
        @app.route("/restart")
        def restart():
            def restart_one(name):
                os.system("systemctl restart " + name)  # AIS201

            restart_one(request.args["service"])
        """,
        "nested-with-parameter",
    ),
    case(
        """
        @app.route("/restart")
        def restart():
            request.args.get("service")

            def restart_one(name):
                os.system("systemctl restart " + name)

            restart_one("nginx")
        """,
        "nested-with-parameter-safe",
    ),
]

# --- classes and module globals --------------------------------------------------------------

CLASSES = [
    case(
        """
        class Deployer:
            def __init__(self, branch):
                self.branch = branch
                self.workdir = "/srv/app"

            def deploy(self):
                os.system(f"git -C {self.workdir} checkout {self.branch}")  # AIS201

        @app.route("/deploy")
        def deploy():
            deployer = Deployer(request.args["branch"])
            deployer.deploy()
        """,
        "self-attribute",
    ),
    case(
        """
        class Deployer:
            def __init__(self, branch):
                self.branch = branch
                self.workdir = "/srv/app"

            def clean(self):
                os.system(f"git -C {self.workdir} clean -fdx")

        @app.route("/deploy")
        def deploy():
            deployer = Deployer(request.args["branch"])
            deployer.clean()
        """,
        "self-attribute-other-field-safe",
    ),
    case(
        """
        class Job:
            def __init__(self):
                self.source = "in.png"

            def configure(self, source):
                self.source = source

            def command(self):
                return f"convert {self.source} out.png"

            def run(self):
                os.system(self.command())  # AIS201

        @app.route("/convert")
        def convert():
            job = Job()
            job.configure(request.args["src"])
            job.run()
        """,
        "self-attribute-set-by-method-read-through-method",
    ),
    case(
        """
        class Tools:
            CONVERT = "/usr/bin/convert"

        @app.route("/convert")
        def convert():
            request.args.get("src")
            os.system(Tools.CONVERT + " -version")
        """,
        "class-level-constant-safe",
    ),
    case(
        """
        TARGET = sys.argv[1] if len(sys.argv) > 1 else "localhost"

        def ping():
            os.system("ping -c 1 " + TARGET)  # AIS201
        """,
        "module-global",
    ),
    case(
        """
        TARGET = "localhost"

        def ping():
            os.system("ping -c 1 " + TARGET)
        """,
        "module-global-safe",
    ),
]

# --- calls: functions, methods, bound methods, classmethods, partial, recursion --------------

CALLS = [
    case(
        """
        def run_shell(command):
            return subprocess.run(command, shell=True, check=True)  # AIS201

        @app.route("/run")
        def run():
            run_shell("du -sh " + request.args["dir"])
        """,
        "function",
    ),
    case(
        """
        def run_shell(command):
            return subprocess.run(command, shell=True, check=True)

        @app.route("/run")
        def run():
            request.args.get("dir")
            run_shell("du -sh /srv")
        """,
        "function-safe",
    ),
    case(
        """
        class Runner:
            def execute(self, command):
                subprocess.run(command, shell=True, check=True)  # AIS201

        @app.route("/run")
        def run():
            runner = Runner()
            runner.execute(request.args["cmd"])
        """,
        "method",
    ),
    case(
        """
        class Runner:
            def execute(self, command):
                subprocess.run(command, shell=True, check=True)

        @app.route("/run")
        def run():
            runner = Runner()
            runner.execute(shlex.quote(request.args["cmd"]))
        """,
        "method-safe",
    ),
    case(
        """
        class Runner:
            def execute(self, command):
                subprocess.run(command, shell=True, check=True)  # AIS201

        @app.route("/run")
        def run():
            Runner().execute(request.args["cmd"])
        """,
        "method-on-fresh-instance",
    ),
    case(
        """
        class Runner:
            def execute(self, command):
                subprocess.run(command, shell=True, check=True)  # AIS201

        @app.route("/run")
        def run():
            execute = Runner().execute
            execute(request.args["cmd"])
        """,
        "bound-method",
    ),
    case(
        """
        class Git:
            @classmethod
            def checkout(cls, branch):
                os.system("git checkout " + branch)  # AIS201

            @staticmethod
            def fetch(remote):
                os.system("git fetch " + remote)  # AIS201

        @app.route("/git")
        def git():
            Git.checkout(request.args["branch"])
            Git.fetch(request.args["remote"])
        """,
        "classmethod-and-staticmethod",
    ),
    case(
        """
        class Job:
            def __init__(self, source):
                self.source = source

            @classmethod
            def from_form(cls, form):
                return cls(form["source"])

            def run(self):
                os.system(f"convert {self.source} out.png")  # AIS201

        @app.route("/convert", methods=["POST"])
        def convert():
            job = Job.from_form(request.form)
            job.run()
        """,
        "classmethod-constructor",
    ),
    case(
        """
        def notify(channel, text):
            os.system(f"slack-notify {channel} {text}")  # AIS201

        @app.route("/alert")
        def alert():
            to_ops = functools.partial(notify, "#ops")
            to_ops(request.args["message"])
        """,
        "partial-of-project-function",
    ),
    case(
        """
        def notify(channel, text):
            os.system(f"slack-notify {channel} {text}")

        @app.route("/alert")
        def alert():
            to_ops = functools.partial(notify, "#ops")
            to_ops(shlex.quote(request.args["message"]))
        """,
        "partial-of-project-function-safe",
    ),
    case(
        """
        @app.route("/run")
        def run():
            sh = functools.partial(subprocess.run, shell=True, check=True)
            sh("du -sh " + request.args["dir"])  # AIS201
        """,
        "partial-of-sink",
    ),
    case(
        """
        def run_all(commands, index=0):
            if index >= len(commands):
                return
            subprocess.run(commands[index], shell=True, check=True)  # AIS201
            run_all(commands, index + 1)

        def ping(host, tries):
            if tries == 0:
                return
            pong(host, tries - 1)

        def pong(host, tries):
            os.system("ping -c 1 " + host)  # AIS201
            ping(host, tries)

        def even(n, text):
            return text if n == 0 else odd(n - 1, text)

        def odd(n, text):
            return text if n == 0 else even(n - 1, text)

        @app.route("/pipeline", methods=["POST"])
        def pipeline():
            run_all(request.json["steps"])
            ping(request.json["host"], 3)
            os.system("echo " + even(4, request.json["text"]))  # AIS201
        """,
        "recursion",
    ),
    case(
        """
        def forever(value):
            return forever(value)

        def even(n, text):
            return text if n == 0 else odd(n - 1, text)

        def odd(n, text):
            return "" if n == 0 else even(n - 1, text)

        @app.route("/loop")
        def loop():
            os.system("echo " + forever("x"))
            os.system("echo " + even(4, "safe"))
        """,
        "recursion-safe",
    ),
]


@pytest.mark.parametrize(
    "code", [*ASSIGNMENTS, *STRINGS, *CONTAINERS, *ATTRIBUTES, *FUNCTIONS, *CLASSES, *CALLS]
)
def test_construct(code: str) -> None:
    assert found_lines(code) == marked(code)


# --- typed framework parameters ----------------------------------------------------------------

FASTAPI_PRELUDE = """\
import subprocess
from enum import Enum
from typing import Annotated, Literal, Optional
from uuid import UUID

from fastapi import FastAPI, Query
from pydantic import BaseModel

app = FastAPI()


class Codec(str, Enum):
    H264 = "libx264"
    VP9 = "libvpx-vp9"


class Transcode(BaseModel):
    source: str
    width: int
    codec: Codec
    preset: Literal["fast", "slow"]
    job_id: UUID
"""

FASTAPI = [
    pytest.param(
        """
        @app.get("/ping/{host}")
        def ping(host: str):
            return subprocess.getoutput("ping -c 1 " + host)  # AIS201

        @app.get("/grep")
        def grep(q: Annotated[str, Query(max_length=64)]):
            return subprocess.getoutput("grep -rl " + q + " /srv/docs")  # AIS201

        @app.get("/find")
        def find(name: Optional[str] = None):
            return subprocess.getoutput(f"find /srv -name {name}")  # AIS201
        """,
        id="str-parameters",
    ),
    pytest.param(
        """
        @app.get("/tail/{job_id}")
        def tail(job_id: UUID, lines: int = 50, ratio: float = 1.0, follow: bool = False):
            return subprocess.getoutput(f"tail -n {lines} /var/jobs/{job_id}.log {ratio} {follow}")

        @app.get("/export")
        def export(fmt: Literal["png", "svg"] = "png", codec: Codec = Codec.H264):
            return subprocess.getoutput(f"convert in.svg -c {codec.value} out.{fmt}")

        @app.get("/page")
        def page(size: Annotated[int, Query(le=100)] = 10, offset: Optional[int] = None):
            return subprocess.getoutput(f"head -n {size} /var/log/app.log {offset}")

        @app.get("/ids")
        def ids(job: list[int] = Query([]), tag: int | None = None):
            return subprocess.getoutput(f"echo {job} {tag}")
        """,
        id="non-string-parameters-safe",
    ),
    pytest.param(
        """
        @app.post("/transcode")
        def transcode(job: Transcode):
            subprocess.getoutput(f"ffmpeg -i {job.source} out.mp4")  # AIS201
            subprocess.getoutput(
                f"ffmpeg -c:v {job.codec.value} -vf scale={job.width}:-1"
                f" -preset {job.preset} /var/jobs/{job.job_id}.mp4"
            )
        """,
        id="pydantic-model-fields",
    ),
]


@pytest.mark.parametrize("body", FASTAPI)
def test_fastapi_parameter_types(body: str) -> None:
    import textwrap

    code = FASTAPI_PRELUDE + "\n\n" + textwrap.dedent(body).lstrip("\n")
    assert found_lines(code, "api.py") == marked(code)


FLASK_ROUTES = [
    case(
        """
        @app.route("/users/<login>/groups")
        def groups(login):
            os.system("groups " + login)  # AIS201

        @app.route("/files/<path:name>")
        def file_type(name):
            os.system("file /srv/" + name)  # AIS201
        """,
        "flask-path-parameters",
    ),
    case(
        """
        @app.route("/users/<int:uid>/quota")
        def quota(uid):
            os.system(f"quota -u {uid}")

        @app.route("/jobs/<uuid:job>/log")
        def job_log(job):
            os.system(f"cat /var/jobs/{job}.log")
        """,
        "flask-typed-path-parameters-safe",
    ),
]


@pytest.mark.parametrize("code", FLASK_ROUTES)
def test_flask_route_parameters(code: str) -> None:
    assert found_lines(code) == marked(code)


# --- guards -------------------------------------------------------------------------------------

GUARDS = [
    case(
        """
        @app.route("/logs")
        def logs():
            sort = request.args.get("sort", "time")
            if sort not in ALLOWED:
                abort(400)
            os.system(f"ls -l --sort={sort} /var/log")
        """,
        "allow-list-early-abort-safe",
    ),
    case(
        """
        @app.route("/logs")
        def logs():
            sort = request.args.get("sort", "time")
            if sort not in ALLOWED:
                app.logger.warning("unknown sort key %s", sort)
            os.system(f"ls -l --sort={sort} /var/log")  # AIS201
        """,
        "allow-list-without-exit",
    ),
    case(
        """
        @app.route("/export")
        def export():
            col = request.args["col"]
            if col in {"name", "date"}:
                os.system(f"sort -k {col} data.csv")
            else:
                os.system(f"logger 'bad column {col}'")  # AIS201
        """,
        "allow-list-if-body",
    ),
    case(
        """
        SERVICES = frozenset({"nginx", "redis"})

        @app.route("/restart")
        def restart():
            for name in request.args.getlist("service"):
                if name not in SERVICES:
                    continue
                os.system("systemctl restart " + name)
            name = request.args["other"]
            if name not in SERVICES:
                raise ValueError(name)
            os.system("systemctl restart " + name)
            mode = request.args["mode"]
            if mode != "fast":
                return "only fast mode", 400
            os.system("deploy --mode " + mode)
            target = request.args["target"]
            if target not in ALLOWED:
                sys.exit(2)
            os.system("deploy --target " + target)
        """,
        "early-exits-safe",
    ),
    case(
        """
        @app.route("/restart")
        def restart():
            for name in request.args.getlist("service"):
                if name not in ALLOWED:
                    print("skipping", name)
                os.system("systemctl restart " + name)  # AIS201
        """,
        "loop-guard-without-continue",
    ),
    case(
        """
        @app.route("/sort")
        def sort():
            key = request.args["key"]
            os.system(f"sort -k {COLUMNS[key]} data.csv")
            os.system(f"sort -k {COLUMNS.get(key, 'name')} data.csv")
        """,
        "constant-mapping-safe",
    ),
    case(
        """
        @app.route("/sort")
        def sort():
            key = request.args["key"]
            os.system(f"sort -k {COLUMNS.get(key, key)} data.csv")  # AIS201
        """,
        "constant-mapping-tainted-default",
    ),
    case(
        """
        @app.route("/tail")
        def tail():
            os.system(f"tail -n {int(request.args['lines'])} app.log")
            os.system(f"convert -resize {float(request.args['ratio']) * 100}% in.png out.png")
            os.system(f"cat /var/jobs/{uuid.UUID(request.args['job'])}.log")
            os.system(f"make VERBOSE={bool(request.args.get('verbose'))}")
        """,
        "conversions-safe",
    ),
    case(
        """
        @app.route("/tail")
        def tail():
            os.system(f"tail -n {str(request.args['lines'])} app.log")  # AIS201
        """,
        "str-conversion-keeps-taint",
    ),
    case(
        r"""
        BRANCH = re.compile(r"[\w./-]+")

        @app.route("/log")
        def log():
            name = request.args["branch"]
            if re.fullmatch(r"[\w./-]+", name):
                os.system("git log -1 " + name)
            if re.match(r"^[\w./-]+$", name):
                os.system("git show " + name)
            if re.match(r"[\w./-]+\Z", name):
                os.system("git diff " + name)
            if BRANCH.fullmatch(name):
                os.system("git branch -D " + name)
        """,
        "anchored-regex-safe",
    ),
    case(
        r"""
        BRANCH = re.compile(r"[\w./-]+")

        @app.route("/log")
        def log():
            name = request.args["branch"]
            if re.match(r"[\w./-]+", name):
                os.system("git log -1 " + name)  # AIS201
            if re.match(r"^[\w./-]+", name):
                os.system("git show " + name)  # AIS201
            if re.search(r"[\w./-]+", name):
                os.system("git diff " + name)  # AIS201
            if BRANCH.match(name):
                os.system("git branch -D " + name)  # AIS201
        """,
        "unanchored-regex",
    ),
    case(
        """
        @app.route("/kill")
        def kill():
            pid = request.args["pid"]
            if not pid.isdigit():
                abort(400)
            os.system("kill -HUP " + pid)
            user = request.args["user"]
            if user.isalnum():
                os.system("pkill -u " + user)
            module = request.args["module"]
            if module.isidentifier():
                os.system(f"python -m {module}")
        """,
        "character-class-checks-safe",
    ),
    case(
        """
        @app.route("/kill")
        def kill():
            user = request.args["user"]
            if user.isascii():
                os.system("pkill -u " + user)  # AIS201
        """,
        "non-restricting-str-check",
    ),
    case(
        """
        @app.route("/file")
        def file_type():
            # basename() removes directories, not shell syntax: "a;reboot" has no slash.
            name = os.path.basename(request.args["name"])
            os.system("file /srv/uploads/" + name)  # AIS201
        """,
        "basename-is-not-a-command-guard",
    ),
    case(
        """
        BASE = "/srv/uploads"

        @app.route("/cat")
        def cat():
            # Confined to BASE, yet "/srv/uploads/a;reboot" still runs reboot.
            path = os.path.realpath(os.path.join(BASE, request.args["name"]))
            if os.path.commonpath([BASE, path]) != BASE:
                abort(403)
            os.system("cat " + path)  # AIS201
        """,
        "path-confinement-is-not-a-command-guard",
    ),
    case(
        """
        import pipes

        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            os.system("convert " + shlex.quote(name) + " thumb.png")
            os.system("convert " + pipes.quote(name) + " thumb.png")
        """,
        "declared-sanitizers-safe",
    ),
    case(
        """
        BRANCH = re.compile(r"[\\w./-]+")

        def safe_branch(name):
            if not BRANCH.fullmatch(name):
                raise ValueError(name)
            return name

        def quoted(name):
            return shlex.quote(name)

        def known(name):
            return name if name in ALLOWED else "time"

        def is_allowed(name):
            return name in ALLOWED

        @app.route("/switch")
        def switch():
            os.system("git switch " + safe_branch(request.args["branch"]))
            os.system("git switch " + quoted(request.args["branch"]))
            os.system("ls --sort=" + known(request.args["sort"]))
            sort = request.args["sort"]
            if not is_allowed(sort):
                abort(400)
            os.system("ls --sort=" + sort)
        """,
        "sanitizing-project-functions-safe",
    ),
    case(
        """
        def checked(name):
            if len(name) > 64:
                raise ValueError(name)
            return name

        def logged(name):
            if name not in ALLOWED:
                print("unexpected", name)
            return name

        @app.route("/switch")
        def switch():
            os.system("git switch " + checked(request.args["branch"]))  # AIS201
            os.system("ls --sort=" + logged(request.args["sort"]))  # AIS201
        """,
        "non-sanitizing-project-functions",
    ),
    case(
        """
        @app.route("/lookup")
        def lookup():
            host = request.args["host"]
            if len(host) > 253:
                abort(400)
            os.system("nslookup " + host)  # AIS201
            name = request.args.get("name", "")
            if not name:
                abort(400)
            os.system("getent passwd " + name)  # AIS201
            user = request.args.get("user")
            if user and len(user) <= 32:
                os.system("id " + user)  # AIS201
        """,
        "length-only-checks",
    ),
    case(
        """
        ALLOWED_TOOLS = ("convert", "identify")

        @app.route("/tool")
        def tool():
            program = request.args["tool"]
            subprocess.run([program, "--version"], check=True)  # AIS201
            subprocess.run(shlex.split(request.args["cmd"]), check=True)  # AIS201
            subprocess.run(["bash", "-c", request.args["cmd"]], check=True)  # AIS201
            if program in ALLOWED_TOOLS:
                subprocess.run([program, "--version"], check=True)
            subprocess.run(["convert", request.args["src"], "out.png"], check=True)
        """,
        "argv-program",
    ),
]


@pytest.mark.parametrize("code", GUARDS)
def test_guard(code: str) -> None:
    assert found_lines(code) == marked(code)


# --- code injection sinks -----------------------------------------------------------------------

CODE = [
    case(
        """
        import ast
        import builtins
        import importlib

        import jinja2
        from flask import render_template_string

        @app.route("/calc")
        def calc():
            expr = request.args["expr"]
            eval(expr)  # AIS202
            exec(expr, {})  # AIS202
            compile(expr, "<expr>", "eval")  # AIS202
            builtins.eval(expr)  # AIS202
            __import__(expr)  # AIS202
            importlib.import_module("plugins." + expr)  # AIS202
            jinja2.Template(expr)  # AIS202
            jinja2.Environment().from_string(expr)  # AIS202
            render_template_string(expr)  # AIS202
        """,
        "code-sinks",
    ),
    case(
        """
        import ast
        import importlib

        import jinja2
        from flask import render_template_string

        PLUGINS = ("csv_export", "pdf_export")
        OPERATORS = {"add": "+", "mul": "*"}

        @app.route("/calc")
        def calc():
            expr = request.args["expr"]
            ast.literal_eval(expr)
            left, right = int(request.args["a"]), int(request.args["b"])
            eval(f"{left} {OPERATORS[request.args['op']]} {right}")
            if expr in PLUGINS:
                importlib.import_module("plugins." + expr)
            jinja2.Template("Hello {{ name }}").render(name=expr)
            render_template_string("Hello {{ name }}", name=expr)
        """,
        "code-sinks-safe",
    ),
]


@pytest.mark.parametrize("code", CODE)
def test_code_injection(code: str) -> None:
    assert found_lines(code) == marked(code)


# --- subtle cases: values that cannot carry an injection, flows a reviewer still expects -------

# --- constants and dead branches ------------------------------------------------------------

CONSTANTS = [
    case(
        """
        @app.route("/run")
        def run():
            num = 86
            cmd = "uptime" if (7 * 42) - num > 200 else request.args["cmd"]
            os.system(cmd)
        """,
        "dead-ifexp-branch-safe",
    ),
    case(
        """
        @app.route("/run")
        def run():
            num = 86
            cmd = "uptime" if (7 * 42) - num < 200 else request.args["cmd"]
            os.system(cmd)  # AIS201
        """,
        "live-ifexp-branch",
    ),
    case(
        """
        @app.route("/run")
        def run():
            cmd = "This should never happen"
            if "should" in cmd:
                cmd = request.args["cmd"]
            os.system(cmd)  # AIS201
        """,
        "constant-test-taken",
    ),
    case(
        """
        @app.route("/run")
        def run():
            cmd = "uptime"
            if "never" in cmd:
                cmd = request.args["cmd"]
            os.system(cmd)
        """,
        "constant-test-not-taken-safe",
    ),
    case(
        """
        @app.route("/run")
        def run():
            mode = "fixed"
            if request.args.get("fast"):
                mode = "dynamic"
            # mode differs between the paths: both branches stay live.
            if mode == "dynamic":
                cmd = request.args["cmd"]
            else:
                cmd = "uptime"
            os.system(cmd)  # AIS201
        """,
        "constant-lost-at-join",
    ),
    case(
        """
        @app.route("/run")
        def run():
            guess = "ABC"[0]
            match guess:
                case "A":
                    cmd = "uptime"
                case "B":
                    cmd = request.args["cmd"]
                case _:
                    cmd = request.args["cmd"]
            os.system(cmd)
        """,
        "match-on-constant-safe",
    ),
    case(
        """
        @app.route("/run")
        def run():
            guess = "ABC"[2]
            match guess:
                case "A":
                    cmd = "uptime"
                case "C" | "D":
                    cmd = request.args["cmd"]
                case _:
                    cmd = "uptime"
            os.system(cmd)  # AIS201
        """,
        "match-on-constant",
    ),
    case(
        """
        @app.route("/run")
        def run():
            cmd = "uptime"
            for name in request.headers.keys():
                if name.startswith("X-"):
                    cmd = name
                    break
            os.system(cmd)  # AIS201
        """,
        "assigned-before-break",
    ),
    case(
        """
        @app.route("/run")
        def run():
            cmd = "uptime"
            while True:
                value = request.args.get("cmd")
                if value:
                    cmd = value
                    break
            os.system(cmd)  # AIS201
        """,
        "assigned-before-break-in-while",
    ),
]


@pytest.mark.parametrize("code", CONSTANTS)
def test_constants_and_dead_branches(code: str) -> None:
    assert found_lines(code) == marked(code)


# --- containers whose items are known one by one ----------------------------------------------

ITEMS = [
    case(
        """
        @app.route("/run")
        def run():
            options = {}
            options["fixed"] = "uptime"
            options["chosen"] = request.args["cmd"]
            os.system(options["fixed"])
            os.system(options["chosen"])  # AIS201
        """,
        "dict-items-by-key",
    ),
    case(
        """
        @app.route("/run")
        def run():
            options = {"fixed": "uptime", "chosen": request.args["cmd"]}
            options["chosen"] = "date"
            os.system(options["chosen"])
            os.system(options.get("fixed", "id"))
        """,
        "dict-item-overwritten-safe",
    ),
    case(
        """
        @app.route("/run")
        def run():
            options = {}
            options[request.args["key"]] = "uptime"
            options["fixed"] = request.args["cmd"]
            # A key written from input: which item is which is no longer known.
            os.system(options["other"])  # AIS201
        """,
        "dict-unknown-key-forgets-items",
    ),
    case(
        """
        @app.route("/run")
        def run():
            parts = []
            parts.append("safe")
            parts.append(request.args["cmd"])
            parts.append("moresafe")
            parts.pop(0)
            os.system(parts[1])
            os.system(parts[0])  # AIS201
        """,
        "list-items-after-pop",
    ),
    case(
        """
        def mangle(items):
            items.reverse()

        @app.route("/run")
        def run():
            parts = ["safe", request.args["cmd"]]
            mangle(parts)
            # Passed to a function: the order of the items is no longer known.
            os.system(parts[0])  # AIS201
        """,
        "list-passed-to-call-forgets-items",
    ),
    case(
        """
        import configparser

        @app.route("/run")
        def run():
            conf = configparser.ConfigParser()
            conf.add_section("main")
            conf.set("main", "fixed", "uptime")
            conf.set("main", "chosen", request.args["cmd"])
            os.system(conf.get("main", "fixed"))
            os.system(conf.get("main", "chosen"))  # AIS201
        """,
        "configparser-options",
    ),
]


@pytest.mark.parametrize("code", ITEMS)
def test_known_items(code: str) -> None:
    assert found_lines(code) == marked(code)


# --- request objects held under their type ----------------------------------------------------

REQUEST_OBJECTS = [
    case(
        """
        import flask

        def arg_of(req: flask.Request, name):
            return req.args.get(name)

        @app.route("/run")
        def run():
            os.system(arg_of(request, "cmd"))  # AIS201
        """,
        "annotated-request-parameter",
    ),
    case(
        """
        import flask

        class request_wrapper:
            request: flask.Request

            def __init__(self, request):
                self.request = request

            def get_query_parameter(self, name):
                return self.request.args.get(name)

            def get_safe_value(self, name):
                return "uptime"

        @app.route("/run")
        def run():
            wrapped = request_wrapper(request)
            os.system(wrapped.get_query_parameter("cmd"))  # AIS201
            os.system(wrapped.get_safe_value("cmd"))
        """,
        "request-wrapper-class",
    ),
]


@pytest.mark.parametrize("code", REQUEST_OBJECTS)
def test_request_objects(code: str) -> None:
    assert found_lines(code) == marked(code)


QUOTES = [
    case(
        """
        @app.route("/calc")
        def calc():
            expr = request.args["expr"]
            if not expr.startswith("'") or not expr.endswith("'") or "'" in expr[1:-1]:
                return "a string literal only", 400
            return str(eval(expr))
        """,
        "quoted-literal-safe",
    ),
    case(
        """
        @app.route("/calc")
        def calc():
            expr = request.args["expr"]
            if not expr.startswith("'") or not expr.endswith("'"):
                return "a string literal only", 400
            return str(eval(expr))  # AIS202
        """,
        "quotes-at-the-ends-only",
    ),
    case(
        """
        @app.route("/run")
        def run():
            name = request.args["name"]
            if "'" in name:
                return "no quotes", 400
            os.system(f"echo '{name}'")
            os.system(f"echo {name}")  # AIS201
        """,
        "excluded-quote-inside-quotes",
    ),
    case(
        """
        @app.route("/run")
        def run():
            name = request.args["name"].replace("'", "")
            os.system(f"grep -- '{name}' /var/log/app.log")
            os.system("grep -- " + name + " /var/log/app.log")  # AIS201
        """,
        "removed-quote-inside-quotes",
    ),
]


@pytest.mark.parametrize("code", QUOTES)
def test_quotes(code: str) -> None:
    assert found_lines(code) == marked(code)


HOSTS = [
    case(
        """
        from urllib.parse import urlparse

        ALLOWED_HOSTS = {"shop.example", "docs.example"}

        @app.route("/fetch")
        def fetch():
            url = request.args["url"]
            parts = urlparse(url)
            if parts.netloc not in ALLOWED_HOSTS:
                return "", 400
            # The host is known; the command line is still the client's text.
            os.system(f"curl {url}")  # AIS201
        """,
        "host-allow-listed-is-not-safe-for-a-shell",
    ),
]


@pytest.mark.parametrize("code", HOSTS)
def test_host_checks(code: str) -> None:
    assert found_lines(code) == marked(code)


ARGV = [
    case(
        """
        @app.route("/run")
        def run():
            argv = []
            if os.name == "nt":
                argv.append("cmd.exe")
                argv.append("/c")
            else:
                argv.append("sh")
                argv.append("-c")
            argv.append("echo " + request.args["msg"])
            subprocess.run(argv, capture_output=True)  # AIS201
        """,
        "shell-argv-built-by-appends",
    ),
    case(
        """
        @app.route("/run")
        def run():
            argv = ["echo"]
            argv.append(request.args["msg"])
            subprocess.run(argv, capture_output=True)
        """,
        "argument-appended-to-fixed-program-safe",
    ),
    case(
        """
        @app.route("/run")
        def run():
            argv = []
            argv.append(request.args["tool"])
            argv.append("--version")
            subprocess.run(argv)  # AIS201
        """,
        "program-appended",
    ),
]


@pytest.mark.parametrize("code", ARGV)
def test_argv_built_by_appends(code: str) -> None:
    assert found_lines(code) == marked(code)


STORED = [
    case(
        """
        import sqlite3

        db = sqlite3.connect("app.db")

        @app.route("/run")
        def run():
            job = db.execute(
                "SELECT command FROM jobs WHERE name = ?", (request.args["name"],)
            ).fetchone()
            # The command is the database's row; the client only chose which one.
            os.system(job[0])
        """,
        "database-row-chosen-by-input-safe",
    ),
    case(
        """
        @app.route("/run")
        def run():
            cmd = request.args["cmd"]
            rows = [cmd]
            os.system(rows[0])  # AIS201
        """,
        "list-of-input-is-not-a-database-row",
    ),
]


@pytest.mark.parametrize("code", STORED)
def test_stored_data(code: str) -> None:
    assert found_lines(code) == marked(code)


SUBTLE = [
    case(
        """
        @app.route("/export")
        def export():
            fmt = request.args["fmt"]
            if fmt == "png" or fmt == "jpg":
                os.system(f"convert in.svg out.{fmt}")
        """,
        "or-of-constant-comparisons-safe",
    ),
    case(
        """
        @app.route("/seq")
        def seq():
            count = request.args.get("count", type=int)
            limit = request.args.get("limit", 10, type=int)
            os.system(f"seq {count} {limit}")
        """,
        "werkzeug-type-int-safe",
    ),
    case(
        """
        import enum

        class Mode(enum.Enum):
            FAST = "fast"
            FULL = "full"

        @app.route("/make")
        def make():
            mode = Mode(request.args["mode"])
            os.system(f"make check-{mode.value}")
        """,
        "enum-conversion-safe",
    ),
    case(
        """
        @app.route("/export")
        def export():
            fmt = request.args["fmt"]
            match fmt:
                case "png" | "jpg":
                    os.system(f"convert in.svg out.{fmt}")
                case _:
                    os.system(f"logger 'bad format {fmt}'")  # AIS201
        """,
        "match-literal-patterns",
    ),
    case(
        """
        import hashlib

        @app.route("/cache")
        def cache():
            name = request.args["name"]
            digest = hashlib.sha256(name.encode()).hexdigest()
            os.system(f"mkdir -p /var/cache/app/{digest}")
            os.system(f"echo {name.count(';')} {name.startswith('-')} >> /var/log/names")
        """,
        "digests-and-non-string-results-safe",
    ),
    case(
        """
        @app.route("/cat")
        def cat():
            name = request.args["name"]
            path = f"/srv/reports/{name}.txt"
            if name not in ALLOWED:
                abort(404)
            os.system(f"cat {path}")
        """,
        "guard-after-derivation-safe",
    ),
    case(
        """
        @app.route("/file")
        def file_type():
            safe = re.sub(r"[^A-Za-z0-9_.-]", "", request.args["name"])
            os.system(f"file /srv/uploads/{safe}")
        """,
        "regex-strip-to-safe-characters-safe",
    ),
    case(
        """
        @app.route("/tool")
        def tool():
            subprocess.run([request.args["prog"], "--version"], shell=False)  # AIS201
        """,
        "argv-program-with-explicit-shell-false",
    ),
    case(
        """
        class Base:
            def __init__(self, command):
                self.command = command

        class Job(Base):
            def __init__(self, command):
                super().__init__(command)

            def run(self):
                os.system(self.command)  # AIS201

        @app.route("/job")
        def job():
            Job(request.args["cmd"]).run()
        """,
        "field-set-through-super-init",
    ),
    case(
        """
        from dataclasses import dataclass

        @dataclass
        class Task:
            command: str
            retries: int = 1

            def run(self):
                os.system(self.command)  # AIS201

        @app.route("/task")
        def task():
            Task(command=request.args["cmd"]).run()
        """,
        "dataclass-field",
    ),
    case(
        """
        class Conversion:
            def __init__(self, path):
                self.path = path

            @property
            def command(self):
                return f"convert {self.path} out.png"

        @app.route("/convert")
        def convert():
            conversion = Conversion(request.args["path"])
            os.system(conversion.command)  # AIS201
        """,
        "property",
    ),
    case(
        """
        def run(command=None, timeout=5):
            subprocess.run(command, shell=True, timeout=timeout)  # AIS201

        def run_logged(**options):
            print("running", options)
            run(**options)

        @app.route("/run")
        def view():
            run_logged(command=request.args["cmd"], timeout=3)
        """,
        "kwargs-forwarding",
    ),
]


@pytest.mark.parametrize("code", SUBTLE)
def test_subtle_case(code: str) -> None:
    assert found_lines(code) == marked(code)


# --- across modules -----------------------------------------------------------------------------


def test_calls_through_imports_and_aliases(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "from .impl import reexported\n",
        "shop/impl.py": """
            import os

            def reexported(command):
                os.system(command)  # AIS201
            """,
        "shop/helpers.py": """
            import os
            import subprocess

            def by_module(folder):
                subprocess.run("du -sh " + folder, shell=True)  # AIS201

            def by_alias(folder):
                os.system("ls " + folder)  # AIS201

            def by_package(host):
                os.system("ping " + host)  # AIS201

            def only_constants(host):
                os.system("ping " + host)

            class Runner:
                def execute(self, command):
                    os.system(command)  # AIS201
            """,
        "shop/views.py": """
            import subprocess as sp
            from os import system as run_command

            from flask import request

            import shop.helpers
            from shop import reexported
            from . import helpers
            from .helpers import Runner as Executor
            from .helpers import by_alias as listing

            def view():
                value = request.args["v"]
                helpers.by_module(value)
                listing(value)
                shop.helpers.by_package(value)
                helpers.only_constants("localhost")
                reexported(value)
                Executor().execute(value)
                sp.run(value, shell=True)  # AIS201
                run_command(value)  # AIS201
            """,
    }
    result = scan_tree(tmp_path, files)
    assert tree_found(result) == tree_marked(files)


@pytest.mark.xfail(
    strict=True,
    reason="known gap: a file with no source of its own is not analysed, so a tainted global "
    "imported from another module is not followed into it",
)
def test_module_global_from_another_module(tmp_path: Path) -> None:
    files = {
        "tool/__init__.py": "",
        "tool/settings.py": """
            import sys

            TARGET = sys.argv[1]
            DEFAULT = "localhost"
            """,
        "tool/main.py": """
            import os

            from .settings import DEFAULT, TARGET

            def main():
                os.system("ping -c 1 " + TARGET)  # AIS201
                os.system("ping -c 1 " + DEFAULT)
            """,
    }
    result = scan_tree(tmp_path, files)
    assert tree_found(result) == tree_marked(files)


def test_namespace_package_helpers(tmp_path: Path) -> None:
    """Folders without __init__.py import from the project root as namespace packages: a
    helper module there is followed like any other."""
    files = {
        "helpers/wrappers.py": """
            import flask

            class request_wrapper:
                request: flask.Request

                def __init__(self, request):
                    self.request = request

                def get_form_parameter(self, name):
                    return self.request.form.get(name)
            """,
        "views/app.py": """
            import os

            from flask import Flask, request

            import helpers.wrappers

            app = Flask(__name__)

            @app.route("/run", methods=["POST"])
            def run():
                wrapped = helpers.wrappers.request_wrapper(request)
                os.system(wrapped.get_form_parameter("cmd"))  # AIS201
            """,
    }
    assert tree_found(scan_tree(tmp_path, files)) == tree_marked(files)


def test_constructor_sinks_follow_project_base_classes(tmp_path: Path) -> None:
    """A 'constructs' sink: a project class derived, through project classes, from a base."""
    from aiscan import Config, load_rules, scan

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "model-from-mapping.yaml").write_text(
        """\
id: TST920
name: model-from-mapping
category: mass-assignment
cwe: [915]
severity: warning
confidence: high
message: "{sink}"
summary: A test rule.
docs: {why: w, bad: b, good: g}
since: 0.1.0
mode: taint
sources: [$web-request-data]
sinks:
  - constructs: [orm.Model]
    taint: ["**"]
"""
    )
    files = {
        "app/__init__.py": "",
        "app/base.py": "import orm\n\nclass Timestamped(orm.Model):\n    pass\n",
        "app/views.py": """
            from flask import request

            from .base import Timestamped

            class Order(Timestamped):
                pass

            class Form:
                pass

            def create():
                Order(**request.json)  # TST920
                Form(**request.json)
                Order(total=request.json["total"])
            """,
    }
    from taint_support import write_tree

    write_tree(tmp_path / "src", files)
    rules = load_rules([tmp_path / "rules"])
    result = scan([tmp_path / "src"], rules=rules, config=Config(select=("TST920",)), jobs=1)
    assert not result.errors
    assert [(f.path, f.line) for f in result.findings] == [("app/views.py", 12)]
