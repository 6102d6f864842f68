# Toolchain file for the freestanding kernel: the host's gcc, but nothing
# from its C library. Test programs cannot link without libc, so CMake's
# compiler checks build a static library instead.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_ASM_COMPILER gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
