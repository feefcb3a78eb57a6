# Installs BUILD_DIR with `cmake --install --prefix PREFIX` into the
# DESTDIR ROOT (emptied first) and checks that every file a deployment
# needs is there: the three programs (and that they run), the CLI's
# completions, the systemd unit pointing at the installed rectrackd, and
# the example configs. The *DIR arguments are the install directories as
# configured, relative to the prefix.
file(REMOVE_RECURSE "${ROOT}")
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env "DESTDIR=${ROOT}"
          ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}"
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${result}):\n${output}")
endif()

set(top "${ROOT}${PREFIX}")
set(failures "")
macro(expect_file path)
  if(NOT EXISTS "${top}/${path}" OR IS_DIRECTORY "${top}/${path}")
    string(APPEND failures "missing: ${PREFIX}/${path}\n")
  endif()
endmacro()
# The file holds text (a regular expression).
macro(expect_text path text)
  expect_file(${path})
  if(EXISTS "${top}/${path}")
    file(READ "${top}/${path}" content)
    if(NOT content MATCHES "${text}")
      string(APPEND failures "${PREFIX}/${path} lacks \"${text}\"\n")
    endif()
  endif()
endmacro()

foreach(program rectrackd rectrack rectrack-admin)
  expect_file(${BINDIR}/${program})
  if(EXISTS "${top}/${BINDIR}/${program}")
    execute_process(COMMAND "${top}/${BINDIR}/${program}" --version
                    RESULT_VARIABLE result OUTPUT_VARIABLE version
                    ERROR_VARIABLE version)
    if(NOT result EQUAL 0 OR NOT version MATCHES "${VERSION}")
      string(APPEND failures
             "${program} --version: exit ${result}, \"${version}\"\n")
    endif()
  endif()
endforeach()
expect_text(${BASHDIR}/rectrack "complete -F _rectrack rectrack")
expect_text(${ZSHDIR}/_rectrack "^#compdef rectrack")
expect_text(${UNITDIR}/rectrackd.service
            "\nExecStart=${PREFIX}/${BINDIR}/rectrackd --config ")
expect_text(${DOCDIR}/rectrackd.conf "listen")
expect_text(${DOCDIR}/nginx-rectrack.conf "grpc_pass")

if(failures)
  message(FATAL_ERROR "cmake --install left out or got wrong:\n${failures}")
endif()
message(STATUS "installed and checked under ${top}")
