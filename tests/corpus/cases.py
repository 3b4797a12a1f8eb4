#!/usr/bin/env python3
"""Writes the Dockerfile corpus (tests/corpus/<case>/): each case a Dockerfile,
its build context (files, .dockerignore) and expected.json, the findings
(code, line) verify must report for it with the case folder as the context.
Run it again after editing a case: python3 tests/corpus/cases.py"""
import json, os, shutil

B = "FROM busybox:1.35"
U = "USER 1000"
CASES = {
  # --- context checks -------------------------------------------------------
  "copy-present": ([B, "COPY app.txt /app/", U], {"app.txt": "x"}, None, []),
  "copy-missing": ([B, "COPY missing.txt /app/", U], {}, None, [("PKG108", 2)]),
  "copy-dir-present": ([B, "COPY src /src", U], {"src/a.js": "x"}, None, []),
  "copy-dir-missing": ([B, "COPY src/ /src", U], {"lib/a.js": "x"}, None, [("PKG108", 2)]),
  "copy-glob-match": ([B, "COPY *.json /app/", U], {"package.json": "{}"}, None, []),
  "copy-glob-empty": ([B, "COPY *.yaml /app/", U], {"package.json": "{}"}, None, [("PKG113", 2)]),
  "copy-doublestar": ([B, "COPY conf/**/*.yml /etc/", U], {"conf/a/b/c.yml": "x"}, None, []),
  "copy-arg-known": (["ARG APP=web", B, "ARG APP", "COPY apps/${APP} /app", U], {"apps/web/x": "x"}, None, []),
  "copy-arg-missing": ([B, "ARG APP=api", "COPY apps/$APP /app", U], {"apps/web/x": "x"}, None, [("PKG108", 3)]),
  "copy-env-expanded": ([B, "ENV DIR=conf", "COPY ${DIR}/app.ini /etc/", U], {"conf/app.ini": "x"}, None, []),
  "copy-unknown-var": ([B, "COPY $NOPE /x", U], {}, None, [("PKG158", 2)]),
  "ignored-file": ([B, "COPY secret.env /app/", U], {"secret.env": "x"}, "*.env\n", [("PKG109", 2)]),
  "ignored-reincluded": ([B, "COPY keep.env /app/", U], {"keep.env": "x"}, "*.env\n!keep.env\n", []),
  "ignored-order": ([B, "COPY keep.env /app/", U], {"keep.env": "x"}, "!keep.env\n*.env\n", [("PKG109", 2)]),
  "ignored-doublestar": ([B, "COPY a/b/debug.log /x", U], {"a/b/debug.log": "x"}, "**/*.log\n", [("PKG109", 2)]),
  "ignored-dir": ([B, "COPY dist /dist", U], {"dist/a.js": "x"}, "dist\n", [("PKG109", 2)]),
  "ignored-dir-partly-sent": ([B, "COPY dist /dist", U], {"dist/a.js": "x"}, "dist\n!dist/a.js\n", []),
  "ignored-glob-all": ([B, "COPY *.md /docs/", U], {"a.md": "x"}, "*.md\n", [("PKG109", 2)]),
  "dockerignore-invalid": ([B, "COPY a.txt /x", U], {"a.txt": "x"}, "[abc\n", [("PKG046", 1)]),
  "outside-context": ([B, "COPY ../x /x", U], {}, None, [("PKG107", 2)]),
  "from-stage": ([B + " AS build", "RUN true", B, "COPY --from=build /bin/sh /x", U], {}, None, []),
  "from-unknown-stage": ([B + " AS build", B, "COPY --from=biuld /bin/sh /x", U], {}, None, [("PKG110", 3)]),
  "from-image": ([B, "COPY --from=busybox:1.35 /bin/sh /x", U], {}, None, []),
  "mount-from-unknown": ([B + " AS a", "RUN --mount=type=bind,from=nope,target=/m true", U], {}, None, [("PKG110", 2)]),
  "from-self": ([B + " AS a", "COPY --from=a /bin/sh /x", U], {}, None, [("PKG110", 2)]),
  "arg-from-blank": (["ARG BASE", "FROM $BASE", U], {}, None, [("PKG111", 2), ("PKG152", 2)]),
  "arg-from-default": (["ARG BASE=busybox:1.35", "FROM $BASE", U], {}, None, []),
  # --- what BuildKit refuses to parse (PKG100, PKG101) -------------------------
  "grammar-unknown-instruction": ([B, "BOGUS x", U], {}, None, [("PKG100", 2)]),
  "grammar-before-from": (["RUN true", B, U], {}, None, [("PKG100", 1)]),
  "grammar-from-two-words": (["FROM busybox:1.35 build", U], {}, None, [("PKG100", 1)]),
  "grammar-from-as-no-name": ([B + " AS", U], {}, None, [("PKG100", 1)]),
  "grammar-unknown-flag": ([B, "COPY --form=build a.txt /x", U], {"a.txt": "x"}, None, [("PKG100", 2)]),
  "grammar-flag-without-value": ([B, "COPY --chown a.txt /x", U], {"a.txt": "x"}, None, [("PKG100", 2)]),
  "grammar-flag-twice": ([B + " AS a", B, "COPY --from=a --from=a /bin/sh /x", U], {}, None, [("PKG100", 3)]),
  "grammar-bool-flag-value": ([B, "COPY --link=yes a.txt /x", U], {"a.txt": "x"}, None, [("PKG100", 2)]),
  "grammar-flag-on-user": ([B, "USER --uid 1000"], {}, None, [("PKG100", 2)]),
  "grammar-copy-one-path": ([B, "COPY a.txt", U], {"a.txt": "x"}, None, [("PKG100", 2)]),
  "grammar-workdir-alone": ([B, "WORKDIR", U], {}, None, [("PKG100", 2)]),
  "grammar-env-no-value": ([B, "ENV A", U], {}, None, [("PKG100", 2)]),
  "grammar-label-pair-without-equals": ([B, "LABEL a=1 b", U], {}, None, [("PKG100", 2)]),
  "grammar-arg-blank-name": ([B, "ARG =1", U], {}, None, [("PKG100", 2)]),
  "grammar-shell-not-json": ([B, "SHELL /bin/sh -c", U], {}, None, [("PKG100", 2)]),
  "grammar-healthcheck-type": ([B, U, "HEALTHCHECK true"], {}, None, [("PKG100", 3)]),
  "grammar-healthcheck-none-args": ([B, U, "HEALTHCHECK NONE true"], {}, None, [("PKG100", 3)]),
  "grammar-onbuild-from": ([B, "ONBUILD FROM busybox:1.35", U], {}, None, [("PKG100", 2)]),
  "grammar-heredoc-unclosed": ([B, U, "RUN <<EOF", "echo hi"], {}, None, [("PKG100", 3)]),
  "grammar-heredoc-on-continuation-ok": ([B, U, "RUN echo hi && \\", "  cat <<EOF", "hello", "EOF"], {}, None, []),
  "grammar-heredoc-spaced-ok": ([B, U, "RUN cat << 'EOF' > /tmp/x", "hi $X", "EOF"], {}, None, []),
  # BuildKit parses it (the body is no instruction), but judges each COPY source word
  # alone: `<<` and `EOF` are sources, and the build fails with "/<<": not found.
  "copy-heredoc-spaced": ([B, U, "COPY << EOF /y", "y", "EOF"], {}, None, [("PKG108", 3), ("PKG108", 3)]),
  "grammar-onbuild-heredoc-ok": ([B, U, "ONBUILD RUN <<EOF", "echo hi", "EOF"], {}, None, []),
  "grammar-healthcheck-none-flags-ok": ([B, U, "HEALTHCHECK --bogus --retries=1 --retries=2 NONE"], {}, None, []),
  "grammar-arithmetic-shift": ([B, U, "RUN echo $((1 << 2))", 'CMD ["true"]'], {}, None, [("PKG100", 3)]),
  "grammar-no-instructions": (["# nothing here"], {}, None, [("PKG101", 1)]),
  "grammar-args-only": (["ARG X=1"], {}, None, [("PKG101", 1)]),
  "grammar-flags-and-forms-ok": ([
      B + " AS a",
      "RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --network=none true",
      "FROM --platform=$BUILDPLATFORM busybox:1.35",
      "COPY --from=a --chown=1:1 --chmod=644 --link /bin/sh /x",
      "COPY --parents --exclude=*.md --exclude=*.txt a.txt /y/",
      "COPY --link=TRUE -- a.txt /w",
      "HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=1s --retries=3 CMD true",
      "ONBUILD RUN true",
      'SHELL ["/bin/sh", "-c"]',
      "ENV A=1 B=",
      "LABEL a=b",
      "ARG X Y=1",
      "STOPSIGNAL SIGTERM",
      U,
      'CMD ["true"]',
  ], {"a.txt": "x"}, None, []),
  # --- BuildKit's checks ----------------------------------------------------
  "bk-duplicate-stage": ([B + " AS a", B + " AS a", U], {}, None, [("PKG112", 2)]),
  "bk-stage-name-casing": ([B + " AS Build", U], {}, None, [("PKG120", 1)]),
  "bk-from-as-casing": ([B + " as build", U], {}, None, [("PKG121", 1)]),
  "bk-from-as-lower-ok": (["from busybox:1.35 as build", "user 1000"], {}, None, []),
  "bk-maintainer": ([B, "MAINTAINER me", U], {}, None, [("PKG122", 2)]),
  "bk-reserved-stage": ([B + " AS scratch", U], {}, None, [("PKG123", 1)]),
  "bk-casing-minority": ([B, "run true", "RUN true", U], {}, None, [("PKG124", 2)]),
  "bk-workdir-relative": ([B, "WORKDIR app", U], {}, None, [("PKG125", 2)]),
  "bk-workdir-absolute": ([B, "WORKDIR /app", "WORKDIR sub", U], {}, None, []),
  "bk-expose-proto": ([B, "EXPOSE 80/TCP", U], {}, None, [("PKG126", 2)]),
  "bk-expose-ok": ([B, "EXPOSE 80/tcp 8080", U], {}, None, []),
  "bk-legacy-env": ([B, "ENV A b", U], {}, None, [("PKG127", 2)]),
  "bk-legacy-label": ([B, "LABEL team payments", U], {}, None, [("PKG127", 2)]),
  "bk-json-args-cmd": ([B, U, "CMD echo hi"], {}, None, [("PKG128", 3)]),
  "bk-json-args-ok": ([B, U, 'CMD ["echo", "hi"]'], {}, None, []),
  "bk-multiple-cmd": ([B, U, 'CMD ["a"]', 'CMD ["b"]'], {}, None, [("PKG129", 3)]),
  "bk-multiple-entrypoint": ([B, U, 'ENTRYPOINT ["a"]', 'ENTRYPOINT ["b"]'], {}, None, [("PKG129", 3)]),
  "bk-copy-ignored": ([B, "COPY notes.txt /x", U], {"notes.txt": "x"}, "notes.txt\n", [("PKG109", 2)]),
  "bk-expose-invalid": ([B, "EXPOSE 8080:80", "EXPOSE 127.0.0.1:53:53/udp 9000", U], {}, None, [("PKG150", 2), ("PKG150", 3)]),
  "bk-expose-port-only": ([B, "EXPOSE 80 81/udp 90-95", U], {}, None, []),
  "bk-platform-const": (["FROM --platform=linux/amd64 busybox:1.35 AS x86", "RUN true", "FROM --platform=linux/amd64 busybox:1.35", U], {}, None, [("PKG151", 1), ("PKG151", 3)]),
  "bk-platform-const-named": (["FROM --platform=linux/amd64 busybox:1.35 AS build-amd64", "RUN true", B, "COPY --from=build-amd64 /bin/sh /x", U], {}, None, []),
  "bk-invalid-default-arg": (["ARG TAG", "FROM busybox:${TAG}", U], {}, None, [("PKG111", 2), ("PKG152", 2)]),
  "bk-default-arg-ok": (["ARG TAG=1.35", "FROM busybox:${TAG}", U], {}, None, []),
  "bk-definition-description": (["# check=experimental=InvalidDefinitionDescription", "# the tag", "ARG TAG=1.35", "# builds it", "FROM busybox:${TAG} AS build", "RUN true", B, U], {}, None, [("PKG153", 3), ("PKG153", 5)]),
  "bk-definition-description-ok": (["# check=experimental=InvalidDefinitionDescription", "# TAG the tag", "ARG TAG=1.35", "# build builds it", "FROM busybox:${TAG} AS build", "RUN true", B, U], {}, None, []),
  "bk-definition-description-off": (["# the tag", "ARG TAG=1.35", "FROM busybox:${TAG}", U], {}, None, []),
  "bk-empty-continuation": ([B, "RUN echo a \\", "", "    b", U], {}, None, [("PKG154", 4)]),
  "bk-continuation-comment": ([B, "RUN echo a \\", "# note", "    b", U], {}, None, []),
  "bk-redundant-platform": (["FROM --platform=$TARGETPLATFORM busybox:1.35", U], {}, None, [("PKG155", 1)]),
  "bk-build-platform-ok": (["FROM --platform=$BUILDPLATFORM busybox:1.35 AS build", "RUN true", B, U], {}, None, []),
  "bk-secret-names": ([B, "ARG NPM_TOKEN", "ENV DB_PASSWORD=x", U], {}, None, [("PKG156", 2), ("PKG156", 3)]),
  "bk-secret-names-ok": ([B, "ARG PUBLIC_KEY", "ENV TOKEN_FILE=/run/secrets/t", U], {}, None, []),
  "bk-undefined-arg-in-from": (["FROM busybox:${TAG:-1.35}", U], {}, None, [("PKG157", 1)]),
  "bk-undefined-var": (["ARG VERSION=1", B, "ENV APP_VERSION=$VERSION", "WORKDIR /app/$DIR", U], {}, None, [("PKG158", 3), ("PKG158", 4)]),
  "bk-defined-var": (["ARG VERSION=1", B, "ARG VERSION", "ENV APP_VERSION=$VERSION PATH=/opt/bin:$PATH", "WORKDIR /app/$APP_VERSION", U], {}, None, []),
  # --- hadolint's rules -----------------------------------------------------
  "run-apt-unpinned": ([B, "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*", U], {}, None, [("PKG135", 2)]),
  "run-apt-pinned": ([B, "RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*", U], {}, None, []),
  "run-apt-lists-kept": ([B, "RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10", U], {}, None, [("PKG139", 2)]),
  "run-apk-unpinned": ([B, "RUN apk add --no-cache curl", U], {}, None, [("PKG136", 2)]),
  "run-apk-pinned": ([B, "RUN apk add --no-cache curl=8.9.1-r1", U], {}, None, []),
  "run-pip-unpinned": ([B, "RUN pip install --no-cache-dir flask", U], {}, None, [("PKG137", 2)]),
  "run-pip-pinned": ([B, "RUN pip install --no-cache-dir flask==3.0.3 && pip install -r requirements.txt", U], {}, None, []),
  "run-npm-unpinned": ([B, "RUN npm install -g typescript", U], {}, None, [("PKG138", 2)]),
  "run-npm-pinned": ([B, "RUN npm install -g typescript@5.6.3 && npm ci", U], {}, None, []),
  "add-local-file": ([B, "ADD app.txt /app/", U], {"app.txt": "x"}, None, [("PKG140", 2)]),
  "add-archive": ([B, "ADD app.tar.gz /app/", U], {"app.tar.gz": "x"}, None, []),
  # --- RUN --mount=type=bind sources ------------------------------------------
  "mount-bind-missing": ([B, "RUN --mount=type=bind,source=missing.txt,target=/m true", U], {}, None, [("PKG108", 2)]),
  "mount-bind-present": ([B, "RUN --mount=source=app.txt,target=/m true", U], {"app.txt": "x"}, None, []),
  "mount-bind-ignored": ([B, "RUN --mount=type=bind,source=secret.env,target=/m true", U], {"secret.env": "x"}, "*.env\n", [("PKG109", 2)]),
  "clean-two-stage": ([B + " AS build", "WORKDIR /src", "COPY app.txt ./", B, "COPY --from=build /src/app.txt /app.txt", U, 'CMD ["cat", "/app.txt"]'], {"app.txt": "x"}, None, []),
  "root-user": ([B], {}, None, [("PKG104", 1)]),
}

here = os.path.dirname(os.path.abspath(__file__))
for name, (lines, files, ignore, expected) in CASES.items():
    d = os.path.join(here, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "Dockerfile"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for rel, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(d, rel)) or d, exist_ok=True)
        with open(os.path.join(d, rel), "w") as f:
            f.write(text)
    if ignore is not None:
        with open(os.path.join(d, ".dockerignore"), "w") as f:
            f.write(ignore)
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump([list(e) for e in expected], f)
        f.write("\n")
print(len(CASES), "cases")
