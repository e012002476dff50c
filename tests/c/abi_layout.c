/*
 * abi_layout.c - prints the layout of every public struct and scalar typedef
 * of our three public headers, one fact per line:
 *
 *   NAME SIZE              sizeof
 *   NAME:align ALIGN       alignment
 *   NAME.MEMBER OFFSET     offsetof
 *   NAME.MEMBER:size SIZE  sizeof the member
 *
 * tests/abi.rs compares every line with the #[repr(C)] mirrors in
 * src/ffi/types.rs, and scripts/check-header-facts.sh compares the output
 * built against our headers with the output built against libssh2 1.11.1's.
 */
#include <stddef.h>
#include <stdio.h>

#include "libssh2.h"
#include "libssh2_publickey.h"
#include "libssh2_sftp.h"

/* GCC and Clang accept __alignof__ in every language mode we build with. */
#define TYPE(name, type) \
    printf("%s %zu\n%s:align %zu\n", name, sizeof(type), name, \
           (size_t)__alignof__(type))
#define MEMBER(name, type, member) \
    printf("%s.%s %zu\n%s.%s:size %zu\n", name, #member, \
           offsetof(type, member), name, #member, \
           sizeof(((type *)0)->member))

int main(void)
{
    TYPE("libssh2_socket_t", libssh2_socket_t);
    TYPE("libssh2_uint64_t", libssh2_uint64_t);
    TYPE("libssh2_int64_t", libssh2_int64_t);
    TYPE("libssh2_struct_stat_size", libssh2_struct_stat_size);
    TYPE("libssh2_crypto_engine_t", libssh2_crypto_engine_t);

    TYPE("LIBSSH2_USERAUTH_KBDINT_PROMPT", LIBSSH2_USERAUTH_KBDINT_PROMPT);
    MEMBER("LIBSSH2_USERAUTH_KBDINT_PROMPT", LIBSSH2_USERAUTH_KBDINT_PROMPT, text);
    MEMBER("LIBSSH2_USERAUTH_KBDINT_PROMPT", LIBSSH2_USERAUTH_KBDINT_PROMPT, length);
    MEMBER("LIBSSH2_USERAUTH_KBDINT_PROMPT", LIBSSH2_USERAUTH_KBDINT_PROMPT, echo);

    TYPE("LIBSSH2_USERAUTH_KBDINT_RESPONSE", LIBSSH2_USERAUTH_KBDINT_RESPONSE);
    MEMBER("LIBSSH2_USERAUTH_KBDINT_RESPONSE", LIBSSH2_USERAUTH_KBDINT_RESPONSE, text);
    MEMBER("LIBSSH2_USERAUTH_KBDINT_RESPONSE", LIBSSH2_USERAUTH_KBDINT_RESPONSE, length);

    TYPE("LIBSSH2_SK_SIG_INFO", LIBSSH2_SK_SIG_INFO);
    MEMBER("LIBSSH2_SK_SIG_INFO", LIBSSH2_SK_SIG_INFO, flags);
    MEMBER("LIBSSH2_SK_SIG_INFO", LIBSSH2_SK_SIG_INFO, counter);
    MEMBER("LIBSSH2_SK_SIG_INFO", LIBSSH2_SK_SIG_INFO, sig_r);
    MEMBER("LIBSSH2_SK_SIG_INFO", LIBSSH2_SK_SIG_INFO, sig_r_len);
    MEMBER("LIBSSH2_SK_SIG_INFO", LIBSSH2_SK_SIG_INFO, sig_s);
    MEMBER("LIBSSH2_SK_SIG_INFO", LIBSSH2_SK_SIG_INFO, sig_s_len);

    TYPE("LIBSSH2_PRIVKEY_SK", LIBSSH2_PRIVKEY_SK);
    MEMBER("LIBSSH2_PRIVKEY_SK", LIBSSH2_PRIVKEY_SK, algorithm);
    MEMBER("LIBSSH2_PRIVKEY_SK", LIBSSH2_PRIVKEY_SK, flags);
    MEMBER("LIBSSH2_PRIVKEY_SK", LIBSSH2_PRIVKEY_SK, application);
    MEMBER("LIBSSH2_PRIVKEY_SK", LIBSSH2_PRIVKEY_SK, key_handle);
    MEMBER("LIBSSH2_PRIVKEY_SK", LIBSSH2_PRIVKEY_SK, handle_len);
    MEMBER("LIBSSH2_PRIVKEY_SK", LIBSSH2_PRIVKEY_SK, sign_callback);
    MEMBER("LIBSSH2_PRIVKEY_SK", LIBSSH2_PRIVKEY_SK, orig_abstract);

    TYPE("LIBSSH2_POLLFD", LIBSSH2_POLLFD);
    MEMBER("LIBSSH2_POLLFD", LIBSSH2_POLLFD, type);
    MEMBER("LIBSSH2_POLLFD", LIBSSH2_POLLFD, fd);
    MEMBER("LIBSSH2_POLLFD", LIBSSH2_POLLFD, fd.socket);
    MEMBER("LIBSSH2_POLLFD", LIBSSH2_POLLFD, fd.channel);
    MEMBER("LIBSSH2_POLLFD", LIBSSH2_POLLFD, fd.listener);
    MEMBER("LIBSSH2_POLLFD", LIBSSH2_POLLFD, events);
    MEMBER("LIBSSH2_POLLFD", LIBSSH2_POLLFD, revents);

    TYPE("libssh2_knownhost", struct libssh2_knownhost);
    MEMBER("libssh2_knownhost", struct libssh2_knownhost, magic);
    MEMBER("libssh2_knownhost", struct libssh2_knownhost, node);
    MEMBER("libssh2_knownhost", struct libssh2_knownhost, name);
    MEMBER("libssh2_knownhost", struct libssh2_knownhost, key);
    MEMBER("libssh2_knownhost", struct libssh2_knownhost, typemask);

    TYPE("libssh2_agent_publickey", struct libssh2_agent_publickey);
    MEMBER("libssh2_agent_publickey", struct libssh2_agent_publickey, magic);
    MEMBER("libssh2_agent_publickey", struct libssh2_agent_publickey, node);
    MEMBER("libssh2_agent_publickey", struct libssh2_agent_publickey, blob);
    MEMBER("libssh2_agent_publickey", struct libssh2_agent_publickey, blob_len);
    MEMBER("libssh2_agent_publickey", struct libssh2_agent_publickey, comment);

    TYPE("LIBSSH2_SFTP_ATTRIBUTES", LIBSSH2_SFTP_ATTRIBUTES);
    MEMBER("LIBSSH2_SFTP_ATTRIBUTES", LIBSSH2_SFTP_ATTRIBUTES, flags);
    MEMBER("LIBSSH2_SFTP_ATTRIBUTES", LIBSSH2_SFTP_ATTRIBUTES, filesize);
    MEMBER("LIBSSH2_SFTP_ATTRIBUTES", LIBSSH2_SFTP_ATTRIBUTES, uid);
    MEMBER("LIBSSH2_SFTP_ATTRIBUTES", LIBSSH2_SFTP_ATTRIBUTES, gid);
    MEMBER("LIBSSH2_SFTP_ATTRIBUTES", LIBSSH2_SFTP_ATTRIBUTES, permissions);
    MEMBER("LIBSSH2_SFTP_ATTRIBUTES", LIBSSH2_SFTP_ATTRIBUTES, atime);
    MEMBER("LIBSSH2_SFTP_ATTRIBUTES", LIBSSH2_SFTP_ATTRIBUTES, mtime);

    TYPE("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_bsize);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_frsize);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_blocks);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_bfree);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_bavail);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_files);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_ffree);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_favail);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_fsid);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_flag);
    MEMBER("LIBSSH2_SFTP_STATVFS", LIBSSH2_SFTP_STATVFS, f_namemax);

    TYPE("libssh2_publickey_attribute", libssh2_publickey_attribute);
    MEMBER("libssh2_publickey_attribute", libssh2_publickey_attribute, name);
    MEMBER("libssh2_publickey_attribute", libssh2_publickey_attribute, name_len);
    MEMBER("libssh2_publickey_attribute", libssh2_publickey_attribute, value);
    MEMBER("libssh2_publickey_attribute", libssh2_publickey_attribute, value_len);
    MEMBER("libssh2_publickey_attribute", libssh2_publickey_attribute, mandatory);

    TYPE("libssh2_publickey_list", libssh2_publickey_list);
    MEMBER("libssh2_publickey_list", libssh2_publickey_list, packet);
    MEMBER("libssh2_publickey_list", libssh2_publickey_list, name);
    MEMBER("libssh2_publickey_list", libssh2_publickey_list, name_len);
    MEMBER("libssh2_publickey_list", libssh2_publickey_list, blob);
    MEMBER("libssh2_publickey_list", libssh2_publickey_list, blob_len);
    MEMBER("libssh2_publickey_list", libssh2_publickey_list, num_attrs);
    MEMBER("libssh2_publickey_list", libssh2_publickey_list, attrs);

    return 0;
}
