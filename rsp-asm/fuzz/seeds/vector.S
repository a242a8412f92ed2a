#define STRIDE 16
    .data
    .align 4
ones: .half 1, 1, 1, 1, 1, 1, 1, 1
    .bss
buf: .space 32
    .text
main:
    li s0, %lo(ones)
    lqv $v01, 0, s0
    vmudh $v02, $v01, $v01.e0
    vmadn $v02, $v01.h1
    vrcph $v03.e0, $v02.e1
    vsar $v04, COP2_ACC_MD
    sqv $v04, %lo(buf)(zero)
    mfc2 t0, $v04.e3
    bgt t0, 5, 1f
    nop
1:  jal sub
    nop
    break
    .overlay extra
sub: jr ra
    nop
