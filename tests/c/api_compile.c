/*
 * api_compile.c - compile-only check of the public API.
 *
 * Includes the three public headers, takes the address of every exported
 * function and uses every function-like macro with arguments of the types
 * that libssh2's documentation gives. Nothing here runs: it must compile
 * (and link-resolve nothing) under
 *   gcc -std=c99 -Wall -Wextra -Werror -pedantic -c -I include
 *   g++ -x c++ -Wall -Wextra -Werror -c -I include
 * tests/abi.rs does both, and checks that every prototype and macro in the
 * headers is named in this file.
 */
#include "libssh2.h"
#include "libssh2_publickey.h"
#include "libssh2_sftp.h"

#include <stdio.h>

/* Deprecated functions are part of the ABI and referenced on purpose. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

typedef void (*any_fn)(void);

/* Every function the shared library exports, in header order. */
const any_fn api_functions[] = {
    (any_fn)&libssh2_init,
    (any_fn)&libssh2_exit,
    (any_fn)&libssh2_free,
    (any_fn)&libssh2_session_supported_algs,
    (any_fn)&libssh2_session_init_ex,
    (any_fn)&libssh2_session_abstract,
    (any_fn)&libssh2_session_callback_set2,
    (any_fn)&libssh2_session_callback_set,
    (any_fn)&libssh2_session_banner_set,
    (any_fn)&libssh2_banner_set,
    (any_fn)&libssh2_session_startup,
    (any_fn)&libssh2_session_handshake,
    (any_fn)&libssh2_session_disconnect_ex,
    (any_fn)&libssh2_session_free,
    (any_fn)&libssh2_hostkey_hash,
    (any_fn)&libssh2_session_hostkey,
    (any_fn)&libssh2_session_method_pref,
    (any_fn)&libssh2_session_methods,
    (any_fn)&libssh2_session_last_error,
    (any_fn)&libssh2_session_last_errno,
    (any_fn)&libssh2_session_set_last_error,
    (any_fn)&libssh2_session_block_directions,
    (any_fn)&libssh2_session_flag,
    (any_fn)&libssh2_session_banner_get,
    (any_fn)&libssh2_session_set_blocking,
    (any_fn)&libssh2_session_get_blocking,
    (any_fn)&libssh2_session_set_timeout,
    (any_fn)&libssh2_session_get_timeout,
    (any_fn)&libssh2_session_set_read_timeout,
    (any_fn)&libssh2_session_get_read_timeout,
    (any_fn)&libssh2_keepalive_config,
    (any_fn)&libssh2_keepalive_send,
    (any_fn)&libssh2_userauth_list,
    (any_fn)&libssh2_userauth_banner,
    (any_fn)&libssh2_userauth_authenticated,
    (any_fn)&libssh2_userauth_password_ex,
    (any_fn)&libssh2_userauth_publickey_fromfile_ex,
    (any_fn)&libssh2_userauth_publickey,
    (any_fn)&libssh2_userauth_hostbased_fromfile_ex,
    (any_fn)&libssh2_userauth_publickey_frommemory,
    (any_fn)&libssh2_userauth_keyboard_interactive_ex,
    (any_fn)&libssh2_userauth_publickey_sk,
    (any_fn)&libssh2_poll,
    (any_fn)&libssh2_channel_open_ex,
    (any_fn)&libssh2_channel_direct_tcpip_ex,
    (any_fn)&libssh2_channel_direct_streamlocal_ex,
    (any_fn)&libssh2_channel_forward_listen_ex,
    (any_fn)&libssh2_channel_forward_cancel,
    (any_fn)&libssh2_channel_forward_accept,
    (any_fn)&libssh2_channel_setenv_ex,
    (any_fn)&libssh2_channel_request_auth_agent,
    (any_fn)&libssh2_channel_request_pty_ex,
    (any_fn)&libssh2_channel_request_pty_size_ex,
    (any_fn)&libssh2_channel_x11_req_ex,
    (any_fn)&libssh2_channel_signal_ex,
    (any_fn)&libssh2_channel_process_startup,
    (any_fn)&libssh2_channel_read_ex,
    (any_fn)&libssh2_poll_channel_read,
    (any_fn)&libssh2_channel_window_read_ex,
    (any_fn)&libssh2_channel_receive_window_adjust,
    (any_fn)&libssh2_channel_receive_window_adjust2,
    (any_fn)&libssh2_channel_write_ex,
    (any_fn)&libssh2_channel_window_write_ex,
    (any_fn)&libssh2_channel_set_blocking,
    (any_fn)&libssh2_channel_handle_extended_data,
    (any_fn)&libssh2_channel_handle_extended_data2,
    (any_fn)&libssh2_channel_flush_ex,
    (any_fn)&libssh2_channel_get_exit_status,
    (any_fn)&libssh2_channel_get_exit_signal,
    (any_fn)&libssh2_channel_send_eof,
    (any_fn)&libssh2_channel_eof,
    (any_fn)&libssh2_channel_wait_eof,
    (any_fn)&libssh2_channel_close,
    (any_fn)&libssh2_channel_wait_closed,
    (any_fn)&libssh2_channel_free,
    (any_fn)&libssh2_scp_recv,
    (any_fn)&libssh2_scp_recv2,
    (any_fn)&libssh2_scp_send_ex,
    (any_fn)&libssh2_scp_send64,
    (any_fn)&libssh2_base64_decode,
    (any_fn)&libssh2_version,
    (any_fn)&libssh2_crypto_engine,
    (any_fn)&libssh2_knownhost_init,
    (any_fn)&libssh2_knownhost_add,
    (any_fn)&libssh2_knownhost_addc,
    (any_fn)&libssh2_knownhost_check,
    (any_fn)&libssh2_knownhost_checkp,
    (any_fn)&libssh2_knownhost_del,
    (any_fn)&libssh2_knownhost_free,
    (any_fn)&libssh2_knownhost_readline,
    (any_fn)&libssh2_knownhost_readfile,
    (any_fn)&libssh2_knownhost_writeline,
    (any_fn)&libssh2_knownhost_writefile,
    (any_fn)&libssh2_knownhost_get,
    (any_fn)&libssh2_agent_init,
    (any_fn)&libssh2_agent_connect,
    (any_fn)&libssh2_agent_list_identities,
    (any_fn)&libssh2_agent_get_identity,
    (any_fn)&libssh2_agent_userauth,
    (any_fn)&libssh2_agent_sign,
    (any_fn)&libssh2_agent_disconnect,
    (any_fn)&libssh2_agent_free,
    (any_fn)&libssh2_agent_set_identity_path,
    (any_fn)&libssh2_agent_get_identity_path,
    (any_fn)&libssh2_trace,
    (any_fn)&libssh2_trace_sethandler,
    (any_fn)&libssh2_publickey_init,
    (any_fn)&libssh2_publickey_add_ex,
    (any_fn)&libssh2_publickey_remove_ex,
    (any_fn)&libssh2_publickey_list_fetch,
    (any_fn)&libssh2_publickey_list_free,
    (any_fn)&libssh2_publickey_shutdown,
    (any_fn)&libssh2_sftp_init,
    (any_fn)&libssh2_sftp_shutdown,
    (any_fn)&libssh2_sftp_last_error,
    (any_fn)&libssh2_sftp_get_channel,
    (any_fn)&libssh2_sftp_open_ex,
    (any_fn)&libssh2_sftp_open_ex_r,
    (any_fn)&libssh2_sftp_read,
    (any_fn)&libssh2_sftp_readdir_ex,
    (any_fn)&libssh2_sftp_write,
    (any_fn)&libssh2_sftp_fsync,
    (any_fn)&libssh2_sftp_close_handle,
    (any_fn)&libssh2_sftp_seek,
    (any_fn)&libssh2_sftp_seek64,
    (any_fn)&libssh2_sftp_tell,
    (any_fn)&libssh2_sftp_tell64,
    (any_fn)&libssh2_sftp_fstat_ex,
    (any_fn)&libssh2_sftp_rename_ex,
    (any_fn)&libssh2_sftp_posix_rename_ex,
    (any_fn)&libssh2_sftp_unlink_ex,
    (any_fn)&libssh2_sftp_fstatvfs,
    (any_fn)&libssh2_sftp_statvfs,
    (any_fn)&libssh2_sftp_mkdir_ex,
    (any_fn)&libssh2_sftp_rmdir_ex,
    (any_fn)&libssh2_sftp_stat_ex,
    (any_fn)&libssh2_sftp_symlink_ex,
};

const size_t api_function_count =
    sizeof(api_functions) / sizeof(api_functions[0]);

/* Declared (not exported) for source compatibility, like upstream. */
int (*const api_sign_sk)(LIBSSH2_SESSION *, unsigned char **, size_t *,
                         const unsigned char *, size_t, void **) =
    libssh2_sign_sk;

/* Callbacks defined through the LIBSSH2_*_FUNC declarator macros: the
 * bodies use the parameter names the macros promise. */
static LIBSSH2_ALLOC_FUNC(cb_alloc)
{
    (void)abstract;
    (void)count;
    return NULL;
}
static LIBSSH2_REALLOC_FUNC(cb_realloc)
{
    (void)abstract;
    (void)count;
    return ptr;
}
static LIBSSH2_FREE_FUNC(cb_free)
{
    (void)abstract;
    (void)ptr;
}
static LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC(cb_sign)
{
    (void)session; (void)sig; (void)sig_len; (void)data; (void)data_len;
    (void)abstract;
    return 0;
}
static LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(cb_kbdint)
{
    (void)name; (void)name_len; (void)instruction; (void)instruction_len;
    (void)abstract;
    if (num_prompts > 0 && prompts[0].echo == 0) {
        responses[0].text = NULL;
        responses[0].length = 0;
    }
}
static LIBSSH2_USERAUTH_SK_SIGN_FUNC(cb_sk_sign)
{
    (void)session; (void)data; (void)data_len; (void)algorithm; (void)flags;
    (void)application; (void)key_handle; (void)handle_len; (void)abstract;
    sig_info->flags = LIBSSH2_SK_PRESENCE_REQUIRED;
    return 0;
}
static LIBSSH2_IGNORE_FUNC(cb_ignore)
{
    (void)session; (void)message; (void)message_len; (void)abstract;
}
static LIBSSH2_DEBUG_FUNC(cb_debug)
{
    (void)session; (void)always_display; (void)message; (void)message_len;
    (void)language; (void)language_len; (void)abstract;
}
static LIBSSH2_DISCONNECT_FUNC(cb_disconnect)
{
    (void)session; (void)reason; (void)message; (void)message_len;
    (void)language; (void)language_len; (void)abstract;
}
static LIBSSH2_PASSWD_CHANGEREQ_FUNC(cb_passwd)
{
    (void)session; (void)abstract;
    *newpw = NULL;
    *newpw_len = 0;
}
static LIBSSH2_MACERROR_FUNC(cb_macerror)
{
    (void)session; (void)packet; (void)packet_len; (void)abstract;
    return 0;
}
static LIBSSH2_X11_OPEN_FUNC(cb_x11)
{
    (void)session; (void)channel; (void)shost; (void)sport; (void)abstract;
}
static LIBSSH2_AUTHAGENT_FUNC(cb_authagent)
{
    (void)session; (void)channel; (void)abstract;
}
static LIBSSH2_ADD_IDENTITIES_FUNC(cb_identities)
{
    (void)session; (void)buffer; (void)agent_path; (void)abstract;
}
static LIBSSH2_AUTHAGENT_SIGN_FUNC(cb_agent_sign)
{
    (void)session; (void)blob; (void)blen; (void)data; (void)dlen;
    (void)signature; (void)sigLen; (void)agentPath; (void)abstract;
    return 0;
}
static LIBSSH2_CHANNEL_CLOSE_FUNC(cb_channel_close)
{
    (void)session; (void)session_abstract; (void)channel;
    (void)channel_abstract;
}
static LIBSSH2_RECV_FUNC(cb_recv)
{
    (void)socket; (void)buffer; (void)length; (void)flags; (void)abstract;
    return 0;
}
static LIBSSH2_SEND_FUNC(cb_send)
{
    (void)socket; (void)buffer; (void)length; (void)flags; (void)abstract;
    return 0;
}
static void cb_trace(LIBSSH2_SESSION *session, void *context,
                     const char *data, size_t length)
{
    (void)session; (void)context; (void)data; (void)length;
}

/* Uses every function-like macro once. Never called. */
long api_macros(LIBSSH2_SESSION *s, LIBSSH2_CHANNEL *ch, LIBSSH2_SFTP *sftp,
                LIBSSH2_SFTP_HANDLE *h, LIBSSH2_PUBLICKEY *pk,
                LIBSSH2_LISTENER *l);
long api_macros(LIBSSH2_SESSION *s, LIBSSH2_CHANNEL *ch, LIBSSH2_SFTP *sftp,
                LIBSSH2_SFTP_HANDLE *h, LIBSSH2_PUBLICKEY *pk,
                LIBSSH2_LISTENER *l)
{
    char buf[256];
    char target[256];
    long acc = 0;
    LIBSSH2_SFTP_ATTRIBUTES attrs;
    const unsigned char blob[4] = { 0, 0, 0, 0 };
    const char *name = "ssh-rsa";
    libssh2_publickey_attribute pk_attrs[] = {
        libssh2_publickey_attribute("comment", "key", 0)
        libssh2_publickey_attribute_fast("options", "none", 1)
    };
    LIBSSH2_SESSION *s2;
    LIBSSH2_CHANNEL *c;
    LIBSSH2_SFTP_HANDLE *fh;
    LIBSSH2_POLLFD pfd;
    LIBSSH2_PRIVKEY_SK sk;
    libssh2_socket_t sock = LIBSSH2_INVALID_SOCKET;
    libssh2_struct_stat st;

    /* session */
    s2 = libssh2_session_init();
    acc += s2 != NULL;
    s2 = libssh2_session_init_ex(cb_alloc, cb_free, cb_realloc, NULL);
    acc += s2 != NULL;
    acc += libssh2_session_disconnect(s, "bye");

    /* callbacks through the generic setter */
    acc += libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_IGNORE,
                                         (libssh2_cb_generic *)cb_ignore)
           != NULL;
    acc += libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_DEBUG,
                                         (libssh2_cb_generic *)cb_debug)
           != NULL;
    acc += libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_DISCONNECT,
                                         (libssh2_cb_generic *)cb_disconnect)
           != NULL;
    acc += libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_MACERROR,
                                         (libssh2_cb_generic *)cb_macerror)
           != NULL;
    acc += libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_X11,
                                         (libssh2_cb_generic *)cb_x11)
           != NULL;
    acc += libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_SEND,
                                         (libssh2_cb_generic *)cb_send)
           != NULL;
    acc += libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_RECV,
                                         (libssh2_cb_generic *)cb_recv)
           != NULL;
    acc += libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_AUTHAGENT,
                                         (libssh2_cb_generic *)cb_authagent)
           != NULL;
    acc += libssh2_session_callback_set2(
               s, LIBSSH2_CALLBACK_AUTHAGENT_IDENTITIES,
               (libssh2_cb_generic *)cb_identities) != NULL;
    acc += libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_AUTHAGENT_SIGN,
                                         (libssh2_cb_generic *)cb_agent_sign)
           != NULL;
    acc += libssh2_trace_sethandler(s, NULL, cb_trace);
    {
        LIBSSH2_CHANNEL_CLOSE_FUNC((*close_cb)) = cb_channel_close;
        acc += close_cb != NULL;
    }

    /* authentication */
    acc += libssh2_userauth_password(s, "user", "secret");
    acc += libssh2_userauth_password_ex(s, "u", 1, "p", 1, cb_passwd);
    acc += libssh2_userauth_publickey_fromfile(s, "user", "id.pub", "id",
                                               "pass");
    acc += libssh2_userauth_hostbased_fromfile(s, "user", "host.pub", "host",
                                               "pass", "example.org");
    acc += libssh2_userauth_keyboard_interactive(s, "user", cb_kbdint);
    acc += libssh2_userauth_publickey(s, "user", blob, sizeof(blob), cb_sign,
                                      NULL);
    acc += libssh2_userauth_publickey_sk(s, "user", 4, blob, sizeof(blob),
                                         "k", 1, NULL, cb_sk_sign, NULL);
    sk.sign_callback = cb_sk_sign;
    acc += sk.sign_callback != NULL;

    /* channels */
    c = libssh2_channel_open_session(s);
    acc += c != NULL;
    c = libssh2_channel_direct_tcpip(s, "localhost", 80);
    acc += c != NULL;
    l = libssh2_channel_forward_listen(s, 8080);
    acc += l != NULL;
    acc += libssh2_channel_setenv(ch, "LANG", "C");
    acc += libssh2_channel_request_pty(ch, "xterm");
    acc += libssh2_channel_request_pty_size(ch, 80, 24);
    acc += libssh2_channel_x11_req(ch, 0);
    acc += libssh2_channel_signal(ch, "TERM");
    acc += libssh2_channel_shell(ch);
    acc += libssh2_channel_exec(ch, "uptime");
    acc += libssh2_channel_subsystem(ch, "sftp");
    acc += (long)libssh2_channel_read(ch, buf, sizeof(buf));
    acc += (long)libssh2_channel_read_stderr(ch, buf, sizeof(buf));
    acc += (long)libssh2_channel_write(ch, buf, sizeof(buf));
    acc += (long)libssh2_channel_write_stderr(ch, buf, sizeof(buf));
    acc += (long)libssh2_channel_window_read(ch);
    acc += (long)libssh2_channel_window_write(ch);
    libssh2_channel_ignore_extended_data(ch, 1);
    acc += libssh2_channel_flush(ch);
    acc += libssh2_channel_flush_stderr(ch);

    /* scp */
    c = libssh2_scp_send(s, "/tmp/x", 0644, (size_t)10);
    acc += c != NULL;
    c = libssh2_scp_recv2(s, "/tmp/x", &st);
    acc += c != NULL;

    /* sftp */
    fh = libssh2_sftp_open(sftp, "/tmp/x", LIBSSH2_FXF_READ, 0);
    acc += fh != NULL;
    fh = libssh2_sftp_open_r(sftp, "/tmp/x",
                             LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT,
                             LIBSSH2_SFTP_S_IRUSR | LIBSSH2_SFTP_S_IWUSR,
                             &attrs);
    acc += fh != NULL;
    fh = libssh2_sftp_opendir(sftp, "/tmp");
    acc += fh != NULL;
    acc += libssh2_sftp_readdir(h, buf, sizeof(buf), &attrs);
    acc += libssh2_sftp_close(h);
    acc += libssh2_sftp_closedir(h);
    libssh2_sftp_rewind(h);
    acc += libssh2_sftp_fstat(h, &attrs);
    acc += libssh2_sftp_fsetstat(h, &attrs);
    acc += libssh2_sftp_rename(sftp, "/tmp/a", "/tmp/b");
    acc += libssh2_sftp_posix_rename(sftp, "/tmp/a", "/tmp/b");
    acc += libssh2_sftp_unlink(sftp, "/tmp/a");
    acc += libssh2_sftp_mkdir(sftp, "/tmp/d", LIBSSH2_SFTP_DEFAULT_MODE);
    acc += libssh2_sftp_rmdir(sftp, "/tmp/d");
    acc += libssh2_sftp_stat(sftp, "/tmp/a", &attrs);
    acc += libssh2_sftp_lstat(sftp, "/tmp/a", &attrs);
    acc += libssh2_sftp_setstat(sftp, "/tmp/a", &attrs);
    acc += libssh2_sftp_symlink(sftp, "/tmp/a", target);
    acc += libssh2_sftp_readlink(sftp, "/tmp/a", target, sizeof(target));
    acc += libssh2_sftp_realpath(sftp, ".", target, sizeof(target));
    acc += LIBSSH2_SFTP_S_ISLNK(attrs.permissions);
    acc += LIBSSH2_SFTP_S_ISREG(attrs.permissions);
    acc += LIBSSH2_SFTP_S_ISDIR(attrs.permissions);
    acc += LIBSSH2_SFTP_S_ISCHR(attrs.permissions);
    acc += LIBSSH2_SFTP_S_ISBLK(attrs.permissions);
    acc += LIBSSH2_SFTP_S_ISFIFO(attrs.permissions);
    acc += LIBSSH2_SFTP_S_ISSOCK(attrs.permissions);

    /* publickey subsystem: the macros hand `name` both to strlen() and to
     * an unsigned char parameter, so (as with libssh2 itself) only a
     * void pointer passes cleanly, and only in C. */
#ifndef __cplusplus
    {
        const void *key_name = name;
        acc += libssh2_publickey_add(pk, key_name, blob, sizeof(blob), 0, 2,
                                     pk_attrs);
        acc += libssh2_publickey_remove(pk, key_name, blob, sizeof(blob));
    }
#else
# if !defined(libssh2_publickey_add) || !defined(libssh2_publickey_remove)
#  error "libssh2_publickey_add/remove macros missing"
# endif
    acc += libssh2_publickey_add_ex(pk, (const unsigned char *)name,
                                    strlen(name), blob, sizeof(blob), 0, 2,
                                    pk_attrs);
    acc += libssh2_publickey_remove_ex(pk, (const unsigned char *)name,
                                       strlen(name), blob, sizeof(blob));
#endif

    /* legacy poll and socket helpers */
    pfd.type = LIBSSH2_POLLFD_SOCKET;
    pfd.fd.socket = sock;
    pfd.events = LIBSSH2_POLLFD_POLLIN;
    acc += libssh2_poll(&pfd, 1, 0);
    acc += LIBSSH2CHANNEL_EAGAIN + LIBSSH2SFTP_EAGAIN;
    if (sock != LIBSSH2_INVALID_SOCKET)
        acc += LIBSSH2_SOCKET_CLOSE(sock);
    acc += printf(LIBSSH2_STRUCT_STAT_SIZE_FORMAT,
                  (libssh2_struct_stat_size)st.st_size);
    return acc;
}
