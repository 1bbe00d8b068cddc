"""selfless Python runtime client: the process the platform starts for python3.x functions.

This module is the runtime; `bootstrap.py` next to it is the script the platform starts, kept tiny so that
this module's bytecode is cached in __pycache__ rather than compiled on every cold start.

It behaves like AWS's Python runtime interface client (aws-lambda-python-runtime-interface-client, the
`awslambdaric` package behind Lambda's python3.10-3.14 runtimes): import the handler named by _HANDLER
from LAMBDA_TASK_ROOT, then loop on the Runtime API (GET /next, call the handler, POST /response or
/error). Standard library only, no platform imports; runs on CPython 3.10-3.14.

    python3 runtimes/python/bootstrap.py [handler]      (cwd = the function's code directory)

Environment: AWS_LAMBDA_RUNTIME_API (host:port, required), _HANDLER (or the first argument),
LAMBDA_TASK_ROOT (default: cwd; put first on sys.path), AWS_LAMBDA_FUNCTION_NAME / _VERSION /
_MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME / _LOG_STREAM_NAME (copied into the context),
AWS_LAMBDA_LOG_FORMAT (TEXT | JSON), AWS_LAMBDA_LOG_LEVEL, AWS_EXECUTION_ENV (python3.12+ answers
non-ASCII characters unescaped, as Lambda does).

Exit codes: 1 after an init error (posted to /init/error first) and when the Runtime API is missing,
unreachable or misbehaving; a handler's sys.exit(n) exits with n; any other BaseException escaping the
handler ends the process as Python does (1, or the signal for KeyboardInterrupt).

Cold start: whatever is imported here is paid by every cold start, so this module imports the C cores of
the json and socket modules only (besides os, sys and time, which the interpreter has already loaded):
- JSON goes through `_json`, the accelerator json.loads / json.dumps use, with identical results;
  `import json` would cost its `re` import (plus enum, functools, collections... from Python 3.12).
- The Runtime API is spoken by a small HTTP/1.1 client on one keep-alive socket rather than http.client,
  which pulls in email.* and ssl (about 35 ms here); AWS's client keeps http.client off its hot path too.
- `logging` (about 15 ms) is configured the moment anything imports it, and never imported if nothing
  does; `traceback` is imported on the first error.
"""

import os
import sys
import time
import _socket
from importlib import import_module

try:
    # The C core of the json module, used as json.loads / json.dumps use it: `import json` costs its
    # `re` import (and, from Python 3.12, enum, functools, collections...): 8 to 25 ms of a cold start.
    from _json import encode_basestring as c_encode_basestring
    from _json import encode_basestring_ascii as c_encode_basestring_ascii
    from _json import make_encoder as c_make_encoder
    from _json import make_scanner as c_make_scanner
except ImportError:
    c_make_encoder = c_make_scanner = None

RUNTIME_PATH = "/2018-06-01/runtime"
NEXT_PATH = RUNTIME_PATH + "/invocation/next"
INVOCATION_PATH = RUNTIME_PATH + "/invocation/"
INIT_ERROR_PATH = RUNTIME_PATH + "/init/error"
# selfless's own: where a pre-started runtime waits for its function.
ASSIGNMENT_PATH = RUNTIME_PATH + "/selfless/assignment"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
XRAY_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
# The X-Ray cause is a header: keep it far below the 16 KiB header limit of Node's http server.
XRAY_CAUSE_LIMIT = 8 * 1024

# Error types, as Lambda names them.
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, in rare "
    "cases, a Lambda runtime update can cause unexpected function behavior. For functions using managed runtimes, "
    "runtime updates can be triggered by a function change, or can be applied automatically. To determine if the "
    "runtime has been updated, check the runtime version in the INIT_START log entry. If this error correlates with "
    "a change in the runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
TEXT_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
# Record attributes that are not copied into a JSON log line as extra fields.
JSON_LOG_RESERVED = frozenset((
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text",
    "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName",
    "processName", "process", "aws_request_id", "tenant_id", "_frame_type",
))
# Leading spaces of stack trace lines in the ERROR log line become NO-BREAK SPACEs, as Lambda writes them.
NBSP = "\u00a0"


class Invocation:
    """What the log filter reads: the invocation being handled (None during init)."""

    request_id = None
    tenant_id = None


# ---------------------------------------------------------------------------------------------
# Errors


class Fault(Exception):
    """An error the runtime reports with one of Lambda's `Runtime.*` types."""

    def __init__(self, error_type, msg, trace=None):
        super().__init__(msg)
        self.error_type = error_type
        self.msg = msg
        self.trace = trace


def make_error(message, error_type, stack_trace, request_id=None):
    """The body of /error and /init/error, keys in Lambda's order."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace or [],
    }


def user_frames(tb):
    """(file, line, function, source) of a traceback, minus its leading runtime frames (Lambda's client
    drops the leading frames of any `/bootstrap.py`; this module is dropped too)."""
    import traceback

    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):
        if "/bootstrap.py" not in frame[0] and frame[0] != __file__:
            return frames[i:]
    return frames


def format_frames(frames):
    """['  File "/var/task/app.py", line 3, in handler\\n    raise ...\\n', ...], as Lambda lists them."""
    import traceback

    return traceback.format_list(frames)


def safe_str(value):
    try:
        return str(value)
    except Exception:
        return "<exception str() failed>"


def error_from_exception(exc_type, value, tb, request_id=None):
    frames = user_frames(tb)
    message = safe_str(value)
    return make_error(message, exc_type.__name__, format_frames(frames), request_id), frames


def xray_cause(error_type, message, frames):
    """The X-Ray error cause Lambda's client sends with an invocation error."""
    stack = [{"label": name, "path": path, "line": line} for path, line, name, _ in frames]
    return {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": error_type, "stack": stack}],
        "paths": list({path for path, _, _, _ in frames}),
    }


def header_safe(value):
    """Header values must be visible ASCII (a class name may be any identifier)."""
    if value.isascii() and value.isprintable():
        return value
    return "".join(c for c in value if " " <= c <= "~")


# ---------------------------------------------------------------------------------------------
# JSON


def not_serializable(obj):
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


def json_encoder(ensure_ascii, default=not_serializable):
    """encode(obj) -> str, exactly as json.JSONEncoder(ensure_ascii=..., default=...).encode."""
    if c_make_encoder is not None:
        basestring = c_encode_basestring_ascii if ensure_ascii else c_encode_basestring

        def encode(obj):
            # A new encoder per call, as JSONEncoder does: its circular-reference markers start empty.
            return "".join(c_make_encoder({}, default, basestring, None, ": ", ", ", False, False, True)(obj, 0))

        return encode
    from json import JSONEncoder

    return JSONEncoder(ensure_ascii=ensure_ascii, default=default).encode


class ScannerContext:
    """What the C scanner reads from json.JSONDecoder(): the defaults of json.loads."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
    memo = {}


def json_decoder():
    """loads(str | bytes | bytearray), as json.loads. Anything unusual (another encoding than UTF-8, a BOM,
    a syntax error) is handed to json.loads itself, which gives the answer or the exact error."""

    def slow_loads(data):
        from json import loads

        return loads(data)

    if c_make_scanner is None:
        return slow_loads
    scan = c_make_scanner(ScannerContext)
    whitespace = " \t\n\r"

    def loads(data):
        if isinstance(data, str):
            text = data
        else:
            # json.detect_encoding answers UTF-8 unless the text starts with a BOM or a NUL byte.
            if not data or data[0] in (0, 0xEF, 0xFE, 0xFF) or (len(data) > 1 and data[1] == 0):
                return slow_loads(data)
            try:
                text = data.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                return slow_loads(data)
        end = len(text)
        i = 0
        while i < end and text[i] in whitespace:
            i += 1
        try:
            value, i = scan(text, i)
        except Exception:
            return slow_loads(data)
        while i < end and text[i] in whitespace:
            i += 1
        if i != end:
            return slow_loads(data)
        return value

    return loads


def check_json_core():
    """Falls back to the json module if the C core does not answer as it does on 3.10-3.14."""
    global c_make_encoder, c_make_scanner
    try:
        ok = json_encoder(True)({"a": [1.5, None, "\u00e9"]}) == '{"a": [1.5, null, "\\u00e9"]}'
        ok = ok and c_make_scanner(ScannerContext)('{"a": [1.5, null]}', 0) == ({"a": [1.5, None]}, 18)
    except Exception:
        ok = False
    if not ok:
        c_make_encoder = c_make_scanner = None


check_json_core()
json_loads = json_decoder()


# Lambda's marshaller is simplejson with Decimal support; the standard library encoder is given the same
# behaviour: a Decimal is written as its exact digits, a NaN Decimal as NaN.


class Marshaller:
    def __init__(self, ensure_ascii):
        self._encode = json_encoder(ensure_ascii, self._default)
        self._decimals = None
        # A Decimal is first encoded as a string holding this token, then replaced by its digits.
        self._token = "\x00selfless-decimal-%s:" % os.urandom(6).hex()

    def _default(self, obj):
        decimal = sys.modules.get("decimal")
        if decimal is not None and isinstance(obj, decimal.Decimal):
            if obj.is_nan():
                return float("nan")
            if self._decimals is None:
                self._decimals = []
            self._decimals.append(str(obj))
            return "%s%d\x00" % (self._token, len(self._decimals) - 1)
        return not_serializable(obj)

    def encode(self, obj):
        self._decimals = None
        try:
            text = self._encode(obj)
        finally:
            decimals, self._decimals = self._decimals, None
        if decimals:
            import re

            token = self._token.replace("\x00", "\\u0000")
            pattern = '"' + re.escape(token) + r'(\d+)\\u0000"'
            text = re.sub(pattern, lambda m: decimals[int(m.group(1))], text)
        return text


def execution_env_ensure_ascii():
    """Lambda's python3.12 and later runtimes answer non-ASCII characters unescaped; earlier ones escape them."""
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    prefix = "AWS_Lambda_python3."
    if env.startswith(prefix) and env[len(prefix):].isdigit():
        return int(env[len(prefix):]) < 12
    return sys.version_info < (3, 12)


# ---------------------------------------------------------------------------------------------
# Output: print() goes to stdout as written (line-buffered, flushed before every post); the logging
# handler and the runtime's own error lines write one line per record, inner newlines as \r so a
# multi-line record stays one log event (as Lambda's framed log sink keeps it).


def flush_std():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def write_log(message):
    if message.endswith("\n"):
        message = message[:-1]
    sys.stdout.write(message.replace("\n", "\r") + "\n")


def prepare_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            encoding = (stream.encoding or "").lower().replace("-", "")
            if encoding == "utf8":
                stream.reconfigure(line_buffering=True)
            else:
                stream.reconfigure(line_buffering=True, encoding="utf-8")
        except Exception:
            pass


def log_error(error, log_format_json, marshaller):
    """The ERROR line Lambda writes for an init or invocation error."""
    if log_format_json:
        line = {"timestamp": time.strftime(DATE_FORMAT, time.gmtime()), "level": "ERROR"}
        line.update(error)
        write_log(marshaller.encode(line))
        return
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            if element == "":
                lines.append("")
                continue
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append(NBSP * (len(line) - len(stripped)) + stripped)
    write_log("\r".join(lines))


# ---------------------------------------------------------------------------------------------
# logging: the root logger gets Lambda's handler (TEXT or JSON format, AWS_LAMBDA_LOG_LEVEL), installed
# when `logging` is first imported by anyone, before that import returns.


def log_settings():
    log_format = os.environ.get("AWS_LAMBDA_LOG_FORMAT")
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    level = "" if level is None else level.upper()
    if level == "TRACE":
        level = "DEBUG"
    return bool(log_format) and log_format.upper() == "JSON", level


def configure_logging(logging):
    json_format, level = log_settings()
    logging.Formatter.converter = time.gmtime

    class LambdaLoggerHandler(logging.Handler):
        def __init__(self):
            logging.Handler.__init__(self)
            self.log_sink = write_log

        def emit(self, record):
            write_log(self.format(record))

    class LambdaLoggerFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = Invocation.request_id or ""
            record.tenant_id = Invocation.tenant_id
            return True

    handler = LambdaLoggerHandler()
    if json_format:
        handler.setFormatter(json_formatter(logging)())
    else:
        handler.setFormatter(logging.Formatter(TEXT_LOG_FORMAT, DATE_FORMAT))
    root = logging.getLogger()
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(LambdaLoggerFilter())
    root.addHandler(handler)


def json_formatter(logging):
    encode = json_encoder(False)

    class JsonFormatter(logging.Formatter):
        def __init__(self):
            super().__init__(datefmt=DATE_FORMAT)

        def formatTime(self, record, datefmt=None):
            return "%s.%03dZ" % (time.strftime(DATE_FORMAT, time.gmtime(record.created)), record.msecs)

        def format(self, record):
            record.levelno = min(50, max(0, record.levelno)) // 10 * 10
            record.levelname = logging.getLevelName(record.levelno)
            exc = record.exc_info if record.exc_info and record.exc_info[0] is not None else None
            if exc:
                import traceback

                stack_trace = traceback.format_tb(exc[2])
            result = {
                "timestamp": self.formatTime(record, self.datefmt),
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "stackTrace": stack_trace if exc else None,
                "errorType": exc[0].__name__ if exc else None,
                "errorMessage": str(exc[1]) if exc else None,
                "requestId": getattr(record, "aws_request_id", None),
                "location": f"{record.pathname}:{record.funcName}:{record.lineno}" if exc else None,
            }
            tenant_id = getattr(record, "tenant_id", None)
            if tenant_id is not None:
                result["tenantId"] = tenant_id
            for key, value in record.__dict__.items():
                if key not in JSON_LOG_RESERVED and key not in result:
                    result[key] = value
            return encode({k: v for k, v in result.items() if v is not None}) + "\n"

    return JsonFormatter


class LoggingImportHook:
    """A one-shot meta path finder: hands out the `logging` spec found at startup (so a logging.py in the
    function's code does not shadow it, as it cannot on Lambda) and configures the module as soon as it
    has run."""

    def __init__(self, spec):
        self._spec = spec

    def find_spec(self, name, path=None, target=None):
        if name != "logging" or self._spec is None:
            return None
        spec, self._spec = self._spec, None
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module):
            del loader.exec_module
            run(module)
            configure_logging(module)

        loader.exec_module = exec_module
        return spec

    def invalidate_caches(self):
        pass


def prepare_logging():
    if "logging" in sys.modules:
        configure_logging(sys.modules["logging"])
        return
    spec = None
    try:
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec("logging", None) if find_spec is not None else None
            if spec is not None:
                break
    except Exception:
        spec = None
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        import logging

        configure_logging(logging)
        return
    sys.meta_path.insert(0, LoggingImportHook(spec))


# ---------------------------------------------------------------------------------------------
# Runtime API client: HTTP/1.1 on one keep-alive connection, reused for every call, no timeout.


class RuntimeAPIError(Exception):
    pass


class ConnectionEnded(Exception):
    pass


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def quote(text):
    data = text.encode("utf-8")
    if all(b in _UNRESERVED for b in data):
        return text
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in data)


class RuntimeAPI:
    def __init__(self, address):
        self.address = address
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            host, port = address, "80"
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        self._host = host
        self._port = int(port)
        self._sock = None
        self._buf = bytearray()
        self._used = False
        self._received = False

    def close(self):
        sock, self._sock = self._sock, None
        self._buf = bytearray()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _connect(self):
        error = None
        # The host as bytes: a str would be run through the idna codec (encodings.idna, stringprep, unicodedata).
        host = self._host.encode("ascii", "ignore") if self._host.isascii() else self._host
        for family, kind, proto, _, address in _socket.getaddrinfo(host, self._port, 0, _socket.SOCK_STREAM):
            sock = _socket.socket(family, kind, proto)
            try:
                # A default timeout set by the function's code (socket.setdefaulttimeout) must not apply:
                # /next blocks for as long as there is no work.
                sock.settimeout(None)
                sock.connect(address)
            except OSError as e:
                sock.close()
                error = e
                continue
            if family != getattr(_socket, "AF_UNIX", None):
                try:
                    sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
                except OSError:
                    pass
            self._sock = sock
            self._buf = bytearray()
            self._used = False
            return
        raise error if error is not None else OSError(f"cannot resolve {self.address}")

    def request(self, method, path, headers=(), body=None):
        """Returns (status, headers with lower-case names, body)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.address}"]
        lines.extend(headers)
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        retried = False
        while True:
            if self._sock is not None and self._used and not self._open():
                self.close()
            if self._sock is None:
                self._connect()
            reused = self._used
            self._received = False
            try:
                if body is None:
                    self._sock.sendall(head)
                elif len(body) <= 65536:
                    self._sock.sendall(head + body)
                else:
                    self._sock.sendall(head)
                    self._sock.sendall(body)
                self._used = True
                return self._read_response()
            except (OSError, ConnectionEnded):
                self.close()
                # A kept-alive connection can be closed by the server just as it is reused: GET /next is
                # asked again once on a new connection. A post is never sent twice (its first copy may
                # have been taken); losing its answer ends the runtime.
                if method == "GET" and reused and not self._received and not retried:
                    retried = True
                    continue
                raise

    def _open(self):
        """False when the server has closed the idle connection (or sent something unasked)."""
        flags = _socket.MSG_PEEK | getattr(_socket, "MSG_DONTWAIT", 0)
        if flags == _socket.MSG_PEEK:
            return True
        try:
            self._sock.recv(1, flags)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False

    def _recv(self):
        data = self._sock.recv(262144)
        if not data:
            raise ConnectionEnded("the Runtime API closed the connection")
        self._received = True
        self._buf += data

    def _read_until(self, marker, limit):
        start = 0
        while True:
            end = self._buf.find(marker, start)
            if end >= 0:
                data = bytes(self._buf[:end])
                del self._buf[: end + len(marker)]
                return data
            if len(self._buf) > limit:
                raise RuntimeAPIError("malformed HTTP response from the Runtime API")
            start = max(0, len(self._buf) - len(marker) + 1)
            self._recv()

    def _read_exact(self, n):
        buf = self._buf
        have = len(buf)
        if have >= n:
            with memoryview(buf) as view:
                data = view[:n].tobytes()
            del buf[:n]
            return data
        out = bytearray(n)
        out[:have] = buf
        buf.clear()
        sock = self._sock
        with memoryview(out) as view:
            while have < n:
                got = sock.recv_into(view[have:])
                if got == 0:
                    raise ConnectionEnded("the Runtime API closed the connection")
                self._received = True
                have += got
        return out

    def _read_response(self):
        while True:
            head = self._read_until(b"\r\n\r\n", 65536).decode("latin-1").split("\r\n")
            status_line = head[0].split(None, 2)
            if len(status_line) < 2 or not status_line[0].startswith("HTTP/") or not status_line[1].isdigit():
                raise RuntimeAPIError(f"malformed HTTP status line from the Runtime API: {head[0]!r}")
            status = int(status_line[1])
            headers = {}
            for line in head[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            if not 100 <= status < 200:
                break
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection and (status_line[0] != "HTTP/1.0" or "keep-alive" in connection)
        if status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        elif "content-length" in headers:
            body = self._read_exact(int(headers["content-length"]))
        else:
            try:
                while True:
                    self._recv()
            except ConnectionEnded:
                pass
            body = bytes(self._buf)
            keep_alive = False
        if not keep_alive:
            self.close()
        return status, headers, body

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self._read_until(b"\r\n", 4096).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self._read_until(b"\r\n", 65536):
                    pass  # trailers
                break
            parts.append(self._read_exact(size))
            if self._read_exact(2) != b"\r\n":
                raise RuntimeAPIError("malformed chunked body from the Runtime API")
        return parts[0] if len(parts) == 1 else b"".join(parts)


def die(message):
    flush_std()
    sys.stderr.write(f"[selfless runtime] {message}\n")
    sys.stderr.flush()
    sys.exit(1)


# ---------------------------------------------------------------------------------------------
# Context object (attribute shapes as Lambda's LambdaContext)


W3C_FIELDS = ("traceparent", "tracestate", "baggage")


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, data):
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")

    def __repr__(self):
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, data):
        for name in self.__slots__:
            setattr(self, name, data.get(name))

    def __repr__(self):
        return (
            f"Client([installation_id={self.installation_id},app_title={self.app_title},"
            f"app_version_name={self.app_version_name},app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}])"
        )


class ClientContext:
    __slots__ = ("custom", "env", "client")

    def __init__(self, data):
        self.custom = data.get("custom")
        self.env = data.get("env")
        client = data.get("client")
        self.client = Client(client) if client is not None else None

    def __repr__(self):
        return f"ClientContext([custom={self.custom},env={self.env},client={self.client}])"


class LambdaContext:
    def __init__(self, request_id, client_context, cognito_identity, deadline_ms, invoked_function_arn=None, tenant_id=None):
        env = os.environ
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        # W3C trace context travels in the client context; it is read through w3c(), not client_context.
        self._w3c = {}
        if isinstance(client_context, dict) and "w3c" in client_context:
            w3c = client_context.pop("w3c")
            if isinstance(w3c, dict):
                self._w3c = {k: w3c[k] for k in W3C_FIELDS if isinstance(w3c.get(k), str)}
        self.client_context = ClientContext(client_context) if isinstance(client_context, dict) else None
        self.identity = CognitoIdentity(cognito_identity if isinstance(cognito_identity, dict) else {})
        self._epoch_deadline_time_in_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        remaining = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def w3c(self):
        return dict(self._w3c)

    def log(self, msg):
        write_log(str(msg))

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
            f"identity={self.identity},tenant_id={self.tenant_id}])"
        )


def parse_json_header(value, name):
    try:
        return json_loads(value)
    except Exception as e:
        raise Fault(CONTEXT_UNMARSHAL_ERROR, f"Unable to parse {name} JSON: {e}")


def make_context(request_id, headers):
    client_context = headers.get("lambda-runtime-client-context")
    cognito_identity = headers.get("lambda-runtime-cognito-identity")
    try:
        deadline_ms = int(headers.get("lambda-runtime-deadline-ms", "0"))
    except ValueError:
        deadline_ms = 0
    return LambdaContext(
        request_id,
        parse_json_header(client_context, "Client Context") if client_context else None,
        parse_json_header(cognito_identity, "Cognito Identity") if cognito_identity else None,
        deadline_ms,
        headers.get("lambda-runtime-invoked-function-arn"),
        headers.get("lambda-runtime-aws-tenant-id"),
    )


# ---------------------------------------------------------------------------------------------
# Handler loading


def load_handler(handler):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault(MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {e}")
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise Fault(BUILT_IN_MODULE_CONFLICT, f"Cannot use built-in module {module_name} as a handler module")
        module = import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault(IMPORT_MODULE_ERROR, f"Unable to import module '{module_name}': {e}")
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise Fault(USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{module_name}': {e}", trace)
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault(HANDLER_NOT_FOUND, f"Handler '{function_name}' missing on module '{module_name}'")


def prepare_sys_path():
    """The function's code first; the runtime's directory (Python's sys.path[0] for bootstrap.py) removed."""
    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == here:
        del sys.path[0]
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd())


# ---------------------------------------------------------------------------------------------
# Invocations


class Runtime:
    def __init__(self, api, marshaller, log_format_json):
        self.api = api
        self.marshaller = marshaller
        self.log_format_json = log_format_json

    def post(self, path, body, headers):
        flush_std()
        try:
            status, _, answer = self.api.request("POST", path, headers, body)
        except Exception as e:
            die(f"Runtime API request POST {path} failed: {e}")
        if status >= 500:
            die(f"Runtime API answered {status} to POST {path}: {bytes(answer[:1000])!r}")
        return status

    def post_init_error(self, error):
        body = self.marshaller.encode(error).encode("utf-8", "backslashreplace")
        headers = ["Content-Type: application/json", f"{ERROR_TYPE_HEADER}: {header_safe(error['errorType'])}"]
        self.post(INIT_ERROR_PATH, body, headers)

    def post_error(self, request_id, error, cause):
        try:
            body = self.marshaller.encode(error).encode("utf-8", "backslashreplace")
        except Exception:
            body = json_encoder(True)(make_error(error["errorMessage"], error["errorType"], [], request_id)).encode()
        headers = ["Content-Type: application/json", f"{ERROR_TYPE_HEADER}: {header_safe(error['errorType'])}"]
        if cause is not None:
            try:
                value = json_encoder(True)(cause)
                if len(value) < XRAY_CAUSE_LIMIT:
                    headers.append(f"{XRAY_CAUSE_HEADER}: {value}")
            except Exception:
                pass
        self.post(f"{INVOCATION_PATH}{quote(request_id)}/error", body, headers)

    def marshal(self, response):
        if isinstance(response, bytes):
            return response, "application/unknown"
        try:
            return self.marshaller.encode(response).encode("utf-8"), "application/json"
        except Exception as e:
            raise Fault(MARSHAL_ERROR, f"Unable to marshal response: {e}")

    @staticmethod
    def unmarshal(body, content_type):
        if content_type is not None and content_type != "application/json":
            return bytes(body)
        try:
            return json_loads(body)
        except Exception as e:
            raise Fault(UNMARSHAL_ERROR, f"Unable to unmarshal input: {e}")

    def invoke(self, handler, request):
        """Runs one invocation and posts its outcome. The raw event is released once parsed."""
        request_id, headers, body = request.request_id, request.headers, request.body
        request.body = None
        Invocation.request_id = request_id
        Invocation.tenant_id = headers.get("lambda-runtime-aws-tenant-id")
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        error = None
        try:
            context = make_context(request_id, headers)
            event = self.unmarshal(body, headers.get("content-type"))
            del body
            response = handler(event, context)
            payload, content_type = self.marshal(response)
        except Fault as fault:
            error = make_error(fault.msg, fault.error_type, fault.trace, request_id)
            cause = xray_cause("LambdaValidationError", fault.msg, [])
        except Exception:
            exc_type, value, tb = sys.exc_info()
            error, frames = error_from_exception(exc_type, value, tb, request_id)
            cause = xray_cause(exc_type.__name__, error["errorMessage"], frames)
            del exc_type, value, tb, frames
        if error is None:
            del response
            self.post(f"{INVOCATION_PATH}{quote(request_id)}/response", payload, [f"Content-Type: {content_type}"])
        else:
            log_error(error, self.log_format_json, self.marshaller)
            self.post_error(request_id, error, cause)

    def next_invocation(self):
        try:
            status, headers, body = self.api.request("GET", NEXT_PATH)
        except Exception as e:
            die(f"Runtime API request GET {NEXT_PATH} failed: {e}")
        if status != 200:
            die(f"Runtime API answered {status} to GET {NEXT_PATH}: {bytes(body[:1000])!r}")
        request_id = headers.get("lambda-runtime-aws-request-id")
        if not request_id:
            die("Runtime API answered /next without Lambda-Runtime-Aws-Request-Id")
        return InvocationRequest(request_id, headers, body)


class InvocationRequest:
    __slots__ = ("request_id", "headers", "body")

    def __init__(self, request_id, headers, body):
        self.request_id = request_id
        self.headers = headers
        self.body = body


def receive_assignment(api):
    """Pre-started by selfless ahead of any function (SELFLESS_PRESTARTED=1): wait for the function this
    runtime is given, then take on its environment. Everything imported so far is paid for already."""
    try:
        status, _, body = api.request("GET", ASSIGNMENT_PATH)
    except (OSError, RuntimeAPIError, ConnectionEnded) as e:
        die(f"no assignment: {e}")
    if status != 200:
        die(f"no assignment: HTTP {status}")
    environment = json_decoder()(body)["environment"]
    os.environ.pop("SELFLESS_PRESTARTED", None)
    os.environ.update(environment)
    os.chdir(environment["LAMBDA_TASK_ROOT"])


def main():
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        die("AWS_LAMBDA_RUNTIME_API is not set")
    api = RuntimeAPI(address)
    if os.environ.get("SELFLESS_PRESTARTED") == "1":
        receive_assignment(api)
    handler_name = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "")
    log_format_json, _ = log_settings()
    runtime = Runtime(api, Marshaller(execution_env_ensure_ascii()), log_format_json)

    prepare_streams()
    # Before the function's code is on sys.path: `logging` is the interpreter's, whatever the code ships.
    prepare_logging()
    prepare_sys_path()

    try:
        handler = load_handler(handler_name)
    except Exception as e:
        if isinstance(e, Fault):
            error = make_error(e.msg, e.error_type, e.trace)
        else:
            error, _ = error_from_exception(*sys.exc_info())
        import logging

        logging.warning(UNHANDLED_WARNING)
        log_error(error, log_format_json, runtime.marshaller)
        runtime.post_init_error(error)
        sys.exit(1)

    while True:
        runtime.invoke(handler, runtime.next_invocation())

