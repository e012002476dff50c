#!/usr/bin/perl
# Small TCP peers for the port-forwarding examples (perl-base only).
#
#   tcp-helper.pl echo PORT          serve one connection on 127.0.0.1:PORT,
#                                    echoing each line back, then exit
#   tcp-helper.pl client PORT TEXT   connect to 127.0.0.1:PORT (retrying for
#                                    up to 25 seconds), send TEXT and a newline,
#                                    print the first line that comes back
# Both give up after a fixed time so that a broken forward cannot hang a run.
use strict;
use warnings;
use IO::Socket::INET;

my $LIMIT_SECONDS = 30;
my ($mode, $port, $text) = @ARGV;
die "usage: $0 echo PORT | client PORT TEXT\n" unless defined $port;
alarm $LIMIT_SECONDS;

if ($mode eq 'echo') {
    my $server = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 1, ReuseAddr => 1,
    ) or die "listen on $port: $!\n";
    print STDERR "listening on $port\n";
    my $conn = $server->accept or die "accept: $!\n";
    while (my $line = <$conn>) {
        print $conn $line;
        $conn->flush;
    }
    exit 0;
}
elsif ($mode eq 'client') {
    # The example may take a while to start listening on a loaded machine:
    # keep trying for most of the time limit.
    my $conn;
    my $give_up = time + $LIMIT_SECONDS - 5;
    while (time < $give_up) {
        $conn = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) and last;
        select undef, undef, undef, 0.2;
    }
    die "connect to $port: $!\n" unless $conn;
    print $conn "$text\n";
    $conn->flush;
    my $reply = <$conn>;
    print defined $reply ? $reply : "";
    close $conn;
    exit 0;
}
die "unknown mode $mode\n";
