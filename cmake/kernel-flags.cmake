# Freestanding x86_64 kernel flags: no libc, no red zone (interrupts write
# below rsp), no SSE/MMX/x87 state in kernel code, kernel code model for a
# higher-half image in the top 2 GiB.
set(FB_KERNEL_CFLAGS
    -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie
    -mno-red-zone -mcmodel=kernel -mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-80387
    -fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer
    -fno-tree-loop-distribute-patterns -g)
add_compile_options(${FB_KERNEL_CFLAGS})
