/* polyrun: dup(), dup2(), mkstemp() and mkdtemp(), which wasi-libc leaves
 * out; see unistd.h and stdlib.h beside this file for what they do in a
 * WebAssembly program. Linked into every C and C++ program. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dup(int fd) {
	if (fcntl(fd, F_GETFD) < 0) return -1;
	errno = ENOTSUP;
	return -1;
}

int dup2(int fd, int target) {
	if (fcntl(fd, F_GETFD) < 0) return -1;
	if (fd == target) return target;
	errno = ENOTSUP;
	return -1;
}

/* Replaces the template's six trailing X with random letters and digits;
 * 0, or -1 with EINVAL for a template that does not end so. */
static int randomize(char *template) {
	static const char letters[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t length = strlen(template);
	if (length < 6 || memcmp(template + length - 6, "XXXXXX", 6) != 0) {
		errno = EINVAL;
		return -1;
	}
	unsigned char random[6];
	if (getentropy(random, sizeof random) != 0) return -1;
	for (int i = 0; i < 6; i++)
		template[length - 6 + i] = letters[random[i] % (sizeof letters - 1)];
	return 0;
}

int mkstemp(char *template) {
	char *original = strdup(template);
	if (!original) return -1;
	for (int attempt = 0; attempt < 100; attempt++) {
		strcpy(template, original);
		if (randomize(template) != 0) break;
		int fd = open(template, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0 || errno != EEXIST) {
			free(original);
			return fd;
		}
	}
	free(original);
	return -1;
}

char *mkdtemp(char *template) {
	char *original = strdup(template);
	if (!original) return 0;
	for (int attempt = 0; attempt < 100; attempt++) {
		strcpy(template, original);
		if (randomize(template) != 0) break;
		if (mkdir(template, 0700) == 0) {
			free(original);
			return template;
		}
		if (errno != EEXIST) break;
	}
	free(original);
	return 0;
}
