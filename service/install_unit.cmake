# Run by cmake --install (service/CMakeLists.txt sets RT_UNIT_SOURCE,
# RT_UNIT_OUTPUT and RT_UNIT_BINDIR first): writes the systemd unit with
# ExecStart naming rectrackd under the prefix being installed to.
if(IS_ABSOLUTE "${RT_UNIT_BINDIR}")
  set(rectrackd "${RT_UNIT_BINDIR}/rectrackd")
else()
  set(rectrackd "${CMAKE_INSTALL_PREFIX}/${RT_UNIT_BINDIR}/rectrackd")
endif()
file(READ "${RT_UNIT_SOURCE}" unit)
string(REGEX MATCH "\nExecStart=[^ \n]*rectrackd" found "${unit}")
if(NOT found)
  message(FATAL_ERROR "${RT_UNIT_SOURCE}: no ExecStart=.../rectrackd line")
endif()
string(REGEX REPLACE "\nExecStart=[^ \n]*rectrackd" "\nExecStart=${rectrackd}"
       unit "${unit}")
file(WRITE "${RT_UNIT_OUTPUT}" "${unit}")
