.include "inc.S"
.macro twice op, reg=$t0
    \op \reg, \reg, 1
    \op \reg, \reg, 1
.endm
.ifdef STRIDE
    twice addiu
.else
    twice ori, $t1
.endif
.struct S
.field a, 2
.field v, 16
.endstruct
x = S.SIZE + 3 * (2 << 1)
    .word x, . - 4
