# Flags of the host build variants (presets host, host-asan, host-tsan,
# host-cov, host-release).
if(FB_SANITIZE STREQUAL "address")
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
elseif(FB_SANITIZE STREQUAL "thread")
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
    add_link_options(-fsanitize=thread)
elseif(NOT FB_SANITIZE STREQUAL "")
    message(FATAL_ERROR "FB_SANITIZE must be address, thread or empty")
endif()
if(FB_COVERAGE)
    # Atomic counter updates: the stress tests run hundreds of threads through
    # the same code, and racy increments give gcov negative counts.
    add_compile_options(--coverage -fprofile-update=atomic -O0)
    add_link_options(--coverage)
endif()
find_package(Threads REQUIRED)
if(FB_FUZZ STREQUAL "libfuzzer")
    # Instrument all of core/ and the HAL for coverage, not only the harness.
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()
