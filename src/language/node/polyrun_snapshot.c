/*
 * polyrun's entry points for a QuickJS snapshot, appended to qjs.c at
 * provisioning (so they can use its static helpers) and built as a WASI
 * reactor.
 *
 * - `polyrun_initialize` does what every `qjs --std -I prelude.js` run used
 *   to do first: create the runtime and context, make `std`, `os` and
 *   `bjson` globals, and evaluate the Node.js prelude. Wizer runs it once at
 *   provisioning and saves the memory it leaves.
 * - `polyrun_run` is each run's entry: it reads argv
 *   (`qjs [--module] script args...`), starts a new process's clock and
 *   random sequence, lets the prelude read argv, environment and working
 *   directory, runs the script and its event loop, and exits with its
 *   status.
 */
#include <wasi/api.h>
#include <wasi/libc-environ.h>

/* In wasi-libc but not in its headers: forgets the preopened directories
   it has seen, so that a snapshot looks them up again in the run. */
void __wasilibc_reset_preopens(void);

/* Appended to quickjs.c (see `ENGINE_APPENDIX` in provision/quickjs.rs). */
void polyrun_restart_context(JSContext *ctx, uint64_t seed);

static JSContext *polyrun_context;

static const char polyrun_std_globals[] =
    "import * as bjson from 'qjs:bjson';\n"
    "import * as std from 'qjs:std';\n"
    "import * as os from 'qjs:os';\n"
    "globalThis.bjson = bjson;\n"
    "globalThis.std = std;\n"
    "globalThis.os = os;\n";

static char *polyrun_initial_argv[] = { "qjs", NULL };

__attribute__((export_name("polyrun_initialize")))
void polyrun_initialize(void)
{
    qjs__argc = 1;
    qjs__argv = polyrun_initial_argv;
    JSRuntime *rt = JS_NewRuntime();
    if (!rt) {
        fprintf(stderr, "qjs: cannot allocate JS runtime\n");
        exit(2);
    }
    js_std_set_worker_new_context_func(JS_NewCustomContext);
    js_std_init_handlers(rt);
    JSContext *ctx = JS_NewCustomContext(rt);
    if (!ctx) {
        fprintf(stderr, "qjs: cannot allocate JS context\n");
        exit(2);
    }
    JS_SetModuleLoaderFunc2(rt, polyrun_module_normalize, polyrun_module_loader,
                            js_module_check_attributes, NULL);
    JS_SetHostPromiseRejectionTracker(rt, js_std_promise_rejection_tracker, NULL);
    js_std_add_helpers(ctx, 0, NULL);
    if (eval_buf(ctx, polyrun_std_globals, strlen(polyrun_std_globals), "<input>",
                 JS_EVAL_TYPE_MODULE))
        exit(1);
    if (eval_file(ctx, "/.node/prelude.js", 0))
        exit(1);
    if (js_std_loop(ctx)) {
        js_std_dump_error(ctx);
        exit(1);
    }
    fflush(stdout);
    fflush(stderr);
    /* The run has other directories and another environment. */
    __wasilibc_reset_preopens();
    __wasilibc_deinitialize_environ();
    polyrun_context = ctx;
}

/* argv as the host passed it, NULL-terminated. */
static char **polyrun_read_argv(int *argc)
{
    __wasi_size_t count, size;
    if (__wasi_args_sizes_get(&count, &size) != 0)
        exit(2);
    char **argv = calloc(count + 1, sizeof(char *));
    char *buffer = malloc(size ? size : 1);
    if (!argv || !buffer || __wasi_args_get((uint8_t **)argv, (uint8_t *)buffer) != 0)
        exit(2);
    *argc = (int)count;
    return argv;
}

/* `scriptArgs`, as `js_std_add_helpers` sets it, for this run. */
static void polyrun_set_script_args(JSContext *ctx, int argc, char **argv)
{
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue args = JS_NewArray(ctx);
    for (int i = 0; i < argc; i++)
        JS_SetPropertyUint32(ctx, args, i, JS_NewString(ctx, argv[i]));
    JS_SetPropertyStr(ctx, global, "scriptArgs", args);
    JS_FreeValue(ctx, global);
}

/* Calls the prelude's per-run start (argv, env, working directory). */
static int polyrun_start_prelude(JSContext *ctx)
{
    static const char start[] = "globalThis.__polyrun_start()";
    JSValue result = JS_Eval(ctx, start, strlen(start), "<start>", JS_EVAL_TYPE_GLOBAL);
    if (JS_IsException(result)) {
        js_std_dump_error(ctx);
        return -1;
    }
    JS_FreeValue(ctx, result);
    return 0;
}

__attribute__((export_name("polyrun_run")))
void polyrun_run(void)
{
    JSContext *ctx = polyrun_context;
    if (!ctx) {
        fprintf(stderr, "qjs: polyrun_run before polyrun_initialize\n");
        exit(2);
    }
    /* quickjs-libc reads `environ` directly, which wasi-libc fills only
       when asked after the snapshot forgot it. */
    __wasilibc_ensure_environ();
    int argc;
    char **argv = polyrun_read_argv(&argc);
    int optind = 1;
    int module = -1;
    if (optind < argc && strcmp(argv[optind], "--module") == 0) {
        module = 1;
        optind++;
    }
    if (optind >= argc) {
        fprintf(stderr, "qjs: no script to run\n");
        exit(2);
    }
    uint64_t seed = 0;
    if (getentropy(&seed, sizeof seed) != 0)
        exit(2);
    JS_UpdateStackTop(JS_GetRuntime(ctx));
    polyrun_restart_context(ctx, seed);
    polyrun_set_script_args(ctx, argc - optind, argv + optind);
    if (polyrun_start_prelude(ctx))
        exit(1);
    if (eval_file(ctx, argv[optind], module))
        exit(1);
    if (js_std_loop(ctx)) {
        js_std_dump_error(ctx);
        exit(1);
    }
    polyrun_before_exit(ctx);
    exit(0);
}

/*
 * Contexts (see engine/live.rs): an instance kept between turns. The host
 * calls `polyrun_context_start` once, then `polyrun_turn` with each code
 * buffer, which it writes into memory from `host_alloc`. Nothing here
 * exits: a turn's errors are reported on stderr and in its status.
 */
#include <stdio_ext.h>

__attribute__((export_name("host_alloc")))
char *polyrun_host_alloc(int length)
{
    /* One more byte: QuickJS wants its source NUL-terminated. */
    return malloc(length > 0 ? (size_t)length + 1 : 1);
}

__attribute__((export_name("polyrun_context_start")))
void polyrun_context_start(void)
{
    JSContext *ctx = polyrun_context;
    if (!ctx) {
        fprintf(stderr, "qjs: polyrun_context_start before polyrun_initialize\n");
        exit(2);
    }
    __wasilibc_ensure_environ();
    int argc;
    char **argv = polyrun_read_argv(&argc);
    uint64_t seed = 0;
    if (getentropy(&seed, sizeof seed) != 0)
        exit(2);
    JS_UpdateStackTop(JS_GetRuntime(ctx));
    polyrun_restart_context(ctx, seed);
    polyrun_set_script_args(ctx, argc, argv);
    if (polyrun_start_prelude(ctx))
        exit(1);
    fflush(stdout);
    fflush(stderr);
}

/* Evaluates `code` (from `host_alloc`, freed here) as a global script, runs
   the jobs and timers it started, and returns the script's value as an
   integer status (1 after an exception nothing caught). */
__attribute__((export_name("polyrun_turn")))
int polyrun_turn(char *code, int length)
{
    JSContext *ctx = polyrun_context;
    if (!ctx || !code || length < 0)
        return 2;
    code[length] = '\0';
    /* This turn's stdin, not what an earlier turn left buffered. */
    __fpurge(stdin);
    clearerr(stdin);
    JS_UpdateStackTop(JS_GetRuntime(ctx));
    JSValue result = JS_Eval(ctx, code, (size_t)length, "<context>", JS_EVAL_TYPE_GLOBAL);
    free(code);
    int status = 0;
    if (JS_IsException(result)) {
        js_std_dump_error(ctx);
        status = 1;
    } else if (JS_ToInt32(ctx, &status, result) != 0) {
        status = 1;
    }
    JS_FreeValue(ctx, result);
    if (js_std_loop(ctx)) {
        js_std_dump_error(ctx);
        status = 1;
    }
    fflush(stdout);
    fflush(stderr);
    return status;
}
