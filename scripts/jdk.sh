# Sourced by ./coffer and scripts/test: sets JAVA_HOME to a JDK >= 21.
# JAVA_HOME wins when it is suitable; otherwise the newest JDK >= 21 under /usr/lib/jvm.
coffer_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -1
}
coffer_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    local m; m=$(coffer_java_major "$JAVA_HOME")
    if [ -n "$m" ] && [ "$m" -ge 21 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  local best="" best_major=0 d m
  for d in /usr/lib/jvm/*/; do
    d=${d%/}
    [ -x "$d/bin/javac" ] || continue
    [ -L "$d" ] && continue
    m=$(coffer_java_major "$d")
    [ -n "$m" ] || continue
    if [ "$m" -ge 21 ] && [ "$m" -gt "$best_major" ]; then best=$d; best_major=$m; fi
  done
  if [ -z "$best" ]; then
    echo "coffer: no JDK >= 21 found (JAVA_HOME or /usr/lib/jvm); install one, e.g. Temurin 25" >&2
    return 1
  fi
  echo "$best"
}
JAVA_HOME=$(coffer_find_jdk) || exit 1
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
