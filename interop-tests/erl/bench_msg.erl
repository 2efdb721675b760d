%% BEAM side of the messaging benchmark: a sink that counts messages, an echo server, and timers
%% for one-way throughput, round trips and connection setup, all measured inside the BEAM.
-module(bench_msg).
-export([start_sink/0, start_echo/0, one_way/3, rtt/2, setup/2]).

%% Registered `sink`: {expect, N, ReportTo} arms it; after N further messages it sends
%% {sink_done, N} to ReportTo.
start_sink() ->
    register(sink, spawn(fun() -> sink_idle() end)), ok.

sink_idle() ->
    receive {expect, N, ReportTo} -> sink_count(N, N, ReportTo) end.

sink_count(0, N, ReportTo) -> ReportTo ! {sink_done, N}, sink_idle();
sink_count(K, N, ReportTo) -> receive _ -> sink_count(K - 1, N, ReportTo) end.

%% Registered `echo`: {From, Msg} -> From ! Msg.
start_echo() ->
    register(echo, spawn(fun Loop() -> receive {From, M} -> From ! M, Loop() end end)), ok.

%% Sends N small messages to {sink, Node}; returns messages per second until the sink has them all.
one_way(Node, N, Msg) ->
    {sink, Node} ! {expect, N, self()},
    T0 = erlang:monotonic_time(),
    send_n({sink, Node}, N, Msg),
    receive {sink_done, N} -> ok end,
    T1 = erlang:monotonic_time(),
    N / (erlang:convert_time_unit(T1 - T0, native, microsecond) / 1.0e6).

send_n(_, 0, _) -> ok;
send_n(Dest, K, Msg) -> Dest ! Msg, send_n(Dest, K - 1, Msg).

%% N round trips to {echo, Node}; returns the median in microseconds.
rtt(Node, N) ->
    Times = [begin
                 T0 = erlang:monotonic_time(),
                 {echo, Node} ! {self(), I},
                 receive I -> ok end,
                 erlang:convert_time_unit(erlang:monotonic_time() - T0, native, microsecond)
             end || I <- lists:seq(1, N)],
    lists:nth(N div 2 + 1, lists:sort(Times)).

%% N times: disconnect, let the peer see it (5 ms, untimed), then time lookup + connect +
%% handshake to Node; median microseconds. A reconnect the peer refuses (it had not yet noticed
%% the old connection's end) is retried, up to 3 tries. When the peer has already connected back
%% on its own during the 5 ms, the round is redone rather than timing a connection that exists
%% (as the Rust side does); a peer that does so 100 times in a row ends the benchmark.
setup(Node, N) ->
    Times = [one_setup(Node, 3, 100) || _ <- lists:seq(1, N)],
    lists:nth(N div 2 + 1, lists:sort(Times)).

one_setup(Node, _Tries, 0) ->
    exit({peer_keeps_reconnecting, Node});
one_setup(Node, Tries, Redos) ->
    erlang:disconnect_node(Node),
    wait_gone(Node),
    timer:sleep(5),
    case lists:member(Node, nodes(connected)) of
        true ->
            one_setup(Node, Tries, Redos - 1);
        false ->
            case timer:tc(net_kernel, connect_node, [Node]) of
                {T, true} -> T;
                {_, false} when Tries > 1 -> one_setup(Node, Tries - 1, Redos)
            end
    end.

wait_gone(Node) ->
    case lists:member(Node, nodes(connected)) of
        true -> timer:sleep(1), wait_gone(Node);
        false -> ok
    end.
