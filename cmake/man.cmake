# man.cmake — writes neardup.1 and neardup-COMMAND.1 with help2man from `neardup --help` and
# `neardup COMMAND --help`. Run by the build:
#   cmake -DNEARDUP=BIN -DHELP2MAN=PATH -DOUT=DIR -DCOMMANDS=scan,pairs,... -P man.cmake
file(MAKE_DIRECTORY ${OUT})
set(ENV{LC_ALL} C.UTF-8)
execute_process(COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section=1
                        "--name=find near-duplicate and text-reusing news articles" --output=${OUT}/neardup.1 ${NEARDUP}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed for neardup")
endif()
string(REPLACE "," ";" COMMANDS "${COMMANDS}")
foreach(cmd IN LISTS COMMANDS)
  set(page ${OUT}/neardup-${cmd}.1)
  execute_process(COMMAND ${NEARDUP} --help OUTPUT_VARIABLE summary)
  string(REGEX MATCH "\n  ${cmd} +([^\n]*)" _ "${summary}")
  set(what "${CMAKE_MATCH_1}")
  execute_process(COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section=1 "--help-option=${cmd} --help"
                          "--name=${what}" --output=${page} ${NEARDUP} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "help2man failed for neardup ${cmd}")
  endif()
  # The page is neardup-COMMAND(1), not a second neardup(1).
  string(TOUPPER "neardup-${cmd}" upper)
  file(READ ${page} text)
  string(REGEX REPLACE "\\.TH NEARDUP " ".TH ${upper} " text "${text}")
  string(REGEX REPLACE "\nneardup \\\\- " "\nneardup-${cmd} \\\\- " text "${text}")
  file(WRITE ${page} "${text}")
endforeach()
