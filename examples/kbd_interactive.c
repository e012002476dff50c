/*
 * kbd_interactive: log in by answering the server's prompts.
 *
 *   kbd_interactive HOST PORT USER PASSWORD
 *
 * Keyboard-interactive authentication lets the server ask any questions
 * (PAM conversations, one-time codes). This example answers every prompt
 * that does not echo (a secret) with PASSWORD and shows the prompts.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

static const char *password;

/*
 * Called once per round of questions. Answers must be allocated with the
 * session's allocator (malloc here, the default); the library frees them.
 */
static LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(answer)
{
    int i;
    (void)abstract;
    if(name_len > 0)
        fprintf(stderr, "[%.*s]\n", name_len, name);
    if(instruction_len > 0)
        fprintf(stderr, "%.*s\n", instruction_len, instruction);
    for(i = 0; i < num_prompts; i++) {
        fprintf(stderr, "prompt: %.*s\n", (int)prompts[i].length,
                (const char *)prompts[i].text);
        /* An echoing prompt asks for something that is not secret; a real
         * program would ask its user. We have only the password. */
        responses[i].text = strdup(prompts[i].echo ? "" : password);
        responses[i].length = responses[i].text ?
                              (unsigned int)strlen(responses[i].text) : 0;
    }
}

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    const char *methods;
    int fd;

    if(argc != 5) {
        fprintf(stderr, "usage: %s HOST PORT USER PASSWORD\n", argv[0]);
        return 1;
    }
    password = argv[4];
    session = ex_handshake(argv[1], argv[2], &fd);

    /* Ask first: not every server offers keyboard-interactive. */
    methods = libssh2_userauth_list(session, argv[3], (unsigned int)strlen(argv[3]));
    if(!methods) {
        if(libssh2_userauth_authenticated(session))
            goto done; /* the server let us in without credentials */
        ex_die(session, "userauth list");
    }
    printf("server offers: %s\n", methods);
    if(!strstr(methods, "keyboard-interactive")) {
        fprintf(stderr, "keyboard-interactive is not offered\n");
        return 2;
    }
    if(libssh2_userauth_keyboard_interactive(session, argv[3], answer))
        ex_die(session, "keyboard-interactive");
done:
    printf("authenticated as %s\n", argv[3]);
    ex_disconnect(session, fd);
    return 0;
}
