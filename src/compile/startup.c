// Linked into every C and C++ program polyrun compiles: the program starts
// in its working directory (PWD, the shell's `cd`), as under a real shell.
// A WASI process starts at "/"; wasi-libc's chdir moves where relative
// paths resolve.
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void polyrun_start_in_working_directory(void) {
    const char *pwd = getenv("PWD");
    if (pwd && pwd[0] == '/' && pwd[1] != '\0') {
        (void)chdir(pwd);
    }
}
