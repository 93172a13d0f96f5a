/* A process that blocks forever with whatever argv it was given: lets tests create processes
 * that look like a containerd shim or runc to /proc/PID/cmdline without being one. */
#include <unistd.h>
int main(void) { for (;;) pause(); }
