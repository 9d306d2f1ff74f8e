# Sourced by ./coffer and scripts/test: sets JAVA_HOME to a JDK >= 21 (and, unexported, coffer_jdk_major).
# JAVA_HOME wins when it is suitable; otherwise the newest JDK >= 21 under /usr/lib/jvm.
# The JDK's major version: from its release file (no JVM start), else by asking its java.
coffer_java_major() {
  local v=""
  [ -f "$1/release" ] && v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -1)
  if [ -z "$v" ]; then
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -1)
  fi
  echo "$v"
}
# Sets coffer_jdk and coffer_jdk_major (no subshell, so that each JDK is asked only once).
coffer_find_jdk() {
  coffer_jdk="" coffer_jdk_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    local m; m=$(coffer_java_major "$JAVA_HOME")
    if [ -n "$m" ] && [ "$m" -ge 21 ]; then coffer_jdk=$JAVA_HOME coffer_jdk_major=$m; return 0; fi
  fi
  local d m
  for d in /usr/lib/jvm/*/; do
    d=${d%/}
    [ -x "$d/bin/javac" ] || continue
    [ -L "$d" ] && continue
    m=$(coffer_java_major "$d")
    [ -n "$m" ] || continue
    if [ "$m" -ge 21 ] && [ "$m" -gt "$coffer_jdk_major" ]; then coffer_jdk=$d coffer_jdk_major=$m; fi
  done
  if [ -z "$coffer_jdk" ]; then
    echo "coffer: no JDK >= 21 found (JAVA_HOME or /usr/lib/jvm); install one, e.g. Temurin 25" >&2
    return 1
  fi
}
coffer_find_jdk || exit 1
JAVA_HOME=$coffer_jdk
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
