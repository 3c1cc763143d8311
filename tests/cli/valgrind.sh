# valgrind.sh — sourced by the CLI test scripts after NEARDUP and WORK are set. With
# NEARDUP_VALGRIND=1 (CI's memcheck pass), NEARDUP becomes a wrapper that runs every neardup command
# under valgrind memcheck: any memory error or leak (definitely or indirectly lost) makes the command
# exit 99, which fails the case. Inlined frames are left out of stack traces (--read-inline-info=no):
# most of a test's time under valgrind is start-up, a second a command, and reading inline
# information is a fifth of it; the errors found are the same.
if [[ ${NEARDUP_VALGRIND:-0} == 1 ]]; then
  cat >"$WORK/neardup-vg" <<VG
#!/bin/sh
exec valgrind -q --read-inline-info=no --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-leak-kinds=definite,indirect --error-exitcode=99 "$NEARDUP" "\$@"
VG
  chmod +x "$WORK/neardup-vg"
  NEARDUP=$WORK/neardup-vg
fi
