/*
 * polyrun's additions to QuickJS-ng's `qjs`, compiled into qjs.wasm at
 * provisioning (qjs.c is patched to call the two functions below).
 *
 * - Node's built-in module names (`fs`, `node:fs`, ...) resolve to our ES
 *   module wrappers under /.node/esm/, so `import fs from 'node:fs'` works.
 * - Other bare names (`import dayjs from 'dayjs'`) are packages: the
 *   prelude's `__polyrun_import_resolve` finds them in node_modules, and
 *   a CommonJS one is imported through a module the prelude writes
 *   (`/.node/cjs/...`: its exports, as default and by name).
 * - `__polyrun_compile(source, filename)` evaluates CommonJS module code
 *   under its own file name, so `require`d files show up in stack traces.
 * - When the event loop has drained, the prelude's exit hook runs, so that
 *   `process.exitCode` and `process.on('exit')` behave as in Node.
 * - `__polyrun_random_bytes(n)` returns n bytes from the host's entropy
 *   (WASI random_get), for `crypto.getRandomValues` and `randomBytes`.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quickjs.h"
#include "quickjs-libc.h"

/* Where the prelude's CommonJS-as-ES-module wrappers are named from. */
#define CJS_PREFIX "/.node/cjs/"

static const char *const builtin_modules[] = {
    "assert", "buffer", "child_process", "cluster", "crypto", "dgram", "dns",
    "events", "fs", "fs/promises", "http", "https", "net", "os", "path",
    "process", "readline", "stream", "timers", "tls", "url", "util", "v8",
    "vm", "worker_threads", "zlib", NULL,
};

static int is_builtin(const char *name)
{
    for (int i = 0; builtin_modules[i]; i++) {
        if (strcmp(name, builtin_modules[i]) == 0)
            return 1;
    }
    return 0;
}

/* Resolves `name` against the directory of `base`, as QuickJS does. */
static char *resolve_relative(JSContext *ctx, const char *base, const char *name)
{
    const char *slash = strrchr(base, '/');
    size_t base_len = slash ? (size_t)(slash - base) : 0;
    size_t cap = base_len + strlen(name) + 2;
    char *out = js_malloc(ctx, cap);
    if (!out)
        return NULL;
    memcpy(out, base, base_len);
    out[base_len] = '\0';
    const char *rest = name;
    for (;;) {
        if (strncmp(rest, "./", 2) == 0) {
            rest += 2;
        } else if (strncmp(rest, "../", 3) == 0) {
            char *up = strrchr(out, '/');
            if (up)
                *up = '\0';
            else
                out[0] = '\0';
            rest += 3;
        } else {
            break;
        }
    }
    if (out[0] != '\0' || base[0] == '/')
        strcat(out, "/");
    strcat(out, rest);
    return out;
}

static char *resolve_package(JSContext *ctx, const char *base, const char *name);

char *polyrun_module_normalize(JSContext *ctx, const char *base, const char *name, void *opaque)
{
    (void)opaque;
    const char *bare = strncmp(name, "node:", 5) == 0 ? name + 5 : name;
    if (name[0] != '.' && name[0] != '/' && is_builtin(bare)) {
        size_t len = strlen("/.node/esm/") + strlen(bare) + strlen(".js") + 1;
        char *path = js_malloc(ctx, len);
        if (!path)
            return NULL;
        strcpy(path, "/.node/esm/");
        for (char *p = path + strlen(path); *bare; bare++, p++) {
            *p = *bare == '/' ? '_' : *bare;
            p[1] = '\0';
        }
        strcat(path, ".js");
        return path;
    }
    /* `qjs:std` and the like are QuickJS's own modules, not packages. */
    if (name[0] != '.' && name[0] != '/' && !strchr(name, ':'))
        return resolve_package(ctx, base, name);
    if (name[0] != '.')
        return js_strdup(ctx, name);
    return resolve_relative(ctx, base, name);
}

/* Calls the prelude's global `fn` with string arguments; the result, or
   JS_UNDEFINED when the prelude has no such function (the snapshot is
   being made). An exception stays pending. */
static JSValue call_prelude(JSContext *ctx, const char *fn, int argc, const char **argv)
{
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue function = JS_GetPropertyStr(ctx, global, fn);
    JSValue result = JS_UNDEFINED;
    if (JS_IsFunction(ctx, function)) {
        JSValue args[2];
        for (int i = 0; i < argc && i < 2; i++)
            args[i] = JS_NewString(ctx, argv[i]);
        result = JS_Call(ctx, function, global, argc, args);
        for (int i = 0; i < argc && i < 2; i++)
            JS_FreeValue(ctx, args[i]);
    }
    JS_FreeValue(ctx, function);
    JS_FreeValue(ctx, global);
    return result;
}

/* A package name, resolved by the prelude as Node resolves an import;
   the name unchanged when the prelude does not know it. */
static char *resolve_package(JSContext *ctx, const char *base, const char *name)
{
    const char *argv[2] = { base, name };
    JSValue resolved = call_prelude(ctx, "__polyrun_import_resolve", 2, argv);
    if (JS_IsException(resolved))
        return NULL;
    char *out = NULL;
    if (JS_IsString(resolved)) {
        const char *text = JS_ToCString(ctx, resolved);
        if (text) {
            out = js_strdup(ctx, text);
            JS_FreeCString(ctx, text);
        }
    }
    JS_FreeValue(ctx, resolved);
    return out ? out : js_strdup(ctx, name);
}

/* Loads a module: a CommonJS file behind `CJS_PREFIX` through the source
   the prelude writes for it, anything else as qjs loads it. */
JSModuleDef *polyrun_module_loader(JSContext *ctx, const char *name, void *opaque, JSValueConst attributes)
{
    if (strncmp(name, CJS_PREFIX, strlen(CJS_PREFIX)) != 0)
        return js_module_loader(ctx, name, opaque, attributes);
    const char *argv[1] = { name + strlen(CJS_PREFIX) - 1 };
    JSValue source = call_prelude(ctx, "__polyrun_import_cjs_source", 1, argv);
    if (JS_IsException(source))
        return NULL;
    size_t len;
    const char *text = JS_ToCStringLen(ctx, &len, source);
    JS_FreeValue(ctx, source);
    if (!text)
        return NULL;
    JSValue compiled = JS_Eval(ctx, text, len, name, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
    JS_FreeCString(ctx, text);
    if (JS_IsException(compiled))
        return NULL;
    JSModuleDef *module = JS_VALUE_GET_PTR(compiled);
    JS_FreeValue(ctx, compiled);
    return module;
}

/* Evaluates (or only compiles) source text under a file name of its own. */
static JSValue eval_named(JSContext *ctx, int argc, JSValueConst *argv, int flags)
{
    if (argc < 2)
        return JS_ThrowTypeError(ctx, "expected (source, filename)");
    size_t len;
    const char *source = JS_ToCStringLen(ctx, &len, argv[0]);
    if (!source)
        return JS_EXCEPTION;
    const char *filename = JS_ToCString(ctx, argv[1]);
    if (!filename) {
        JS_FreeCString(ctx, source);
        return JS_EXCEPTION;
    }
    JSValue result = JS_Eval(ctx, source, len, filename, JS_EVAL_TYPE_GLOBAL | flags);
    JS_FreeCString(ctx, filename);
    JS_FreeCString(ctx, source);
    return result;
}

static JSValue js_polyrun_compile(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    return eval_named(ctx, argc, argv, 0);
}

/* Compiles without running, for caching the prelude as bytecode. */
static JSValue js_polyrun_compile_only(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    return eval_named(ctx, argc, argv, JS_EVAL_FLAG_COMPILE_ONLY);
}

/* Runs a function object read back from bytecode. */
static JSValue js_polyrun_eval_function(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    if (argc < 1)
        return JS_ThrowTypeError(ctx, "__polyrun_eval_function(compiled)");
    return JS_EvalFunction(ctx, JS_DupValue(ctx, argv[0]));
}

/* At most this many bytes per call (node's randomBytes allows more, in
 * one call; programs asking for more are rare and get a RangeError). */
#define MAX_RANDOM_BYTES (1 << 20)

static JSValue js_polyrun_random_bytes(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    int64_t n = 0;
    if (argc < 1 || JS_ToInt64(ctx, &n, argv[0]) || n < 0 || n > MAX_RANDOM_BYTES)
        return JS_ThrowRangeError(ctx, "the number of random bytes must be between 0 and %d", MAX_RANDOM_BYTES);
    uint8_t *bytes = js_malloc(ctx, n ? (size_t)n : 1);
    if (!bytes)
        return JS_EXCEPTION;
    for (int64_t done = 0; done < n;) {
        size_t chunk = (size_t)(n - done) > 256 ? 256 : (size_t)(n - done);
        if (getentropy(bytes + done, chunk) != 0) {
            js_free(ctx, bytes);
            return JS_ThrowInternalError(ctx, "no entropy from the host");
        }
        done += (int64_t)chunk;
    }
    JSValue buffer = JS_NewArrayBufferCopy(ctx, bytes, (size_t)n);
    js_free(ctx, bytes);
    return buffer;
}

void polyrun_init_context(JSContext *ctx)
{
    JSValue global = JS_GetGlobalObject(ctx);
    JS_SetPropertyStr(ctx, global, "__polyrun_compile",
                      JS_NewCFunction(ctx, js_polyrun_compile, "__polyrun_compile", 2));
    JS_SetPropertyStr(ctx, global, "__polyrun_compile_only",
                      JS_NewCFunction(ctx, js_polyrun_compile_only, "__polyrun_compile_only", 2));
    JS_SetPropertyStr(ctx, global, "__polyrun_eval_function",
                      JS_NewCFunction(ctx, js_polyrun_eval_function, "__polyrun_eval_function", 1));
    JS_SetPropertyStr(ctx, global, "__polyrun_random_bytes",
                      JS_NewCFunction(ctx, js_polyrun_random_bytes, "__polyrun_random_bytes", 1));
    JS_FreeValue(ctx, global);
}

void polyrun_before_exit(JSContext *ctx)
{
    static const char hook[] =
        "typeof globalThis.__polyrun_before_exit === 'function' && globalThis.__polyrun_before_exit()";
    JSValue result = JS_Eval(ctx, hook, strlen(hook), "<exit>", JS_EVAL_TYPE_GLOBAL);
    JS_FreeValue(ctx, result);
}
