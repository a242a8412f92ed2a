.set noreorder
#include <regdef.h>
#define CAT(a, b) a ## b
#define STR(x) #x
#define FIRST(a, ...) a
.macro mk name, op
    .macro \name vd, vt
        .set $v01, 1
        cop2 (\vt << 16 | \vd << 6 | \op)
    .endm
.endm
mk myadd, 0b010000
    .data
d:  .asciiz STR(x y)
    .half 1<<15-1, 2 == 2
    .section .data.extra
e:  .word d
    .section .bssovl1
o:  .space 4, 1
    .text
    myadd 1 3
    .set reg.x, $1
    lwc2 reg.x, (4 << 11) ($16)
    lw t0, 0x12345(t1)
    sne t0, t1, zero
    li t1, CAT(e, )
    jal f
    nop
    .section .text.f
f:  jr ra
    nop
