// newlib 3.3 takes a lock named __lock___sinit_recursive_mutex around stdio's first use (__sinit);
// libdragon (written for newlib 4.4, which dropped that lock) defines all the other newlib locks
// in system_newlib_locks.c as `struct __lock { kmutex_t mut; }`, zero-initialised, and implements
// the retargetable lock functions on them. This gives 3.3 its extra lock, of the same type.
#include <kernel.h>

struct __lock {
    kmutex_t mut;
};

struct __lock __lock___sinit_recursive_mutex;
