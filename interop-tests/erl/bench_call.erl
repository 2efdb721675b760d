%% BEAM side of the gen_server call benchmark (issue 5): `bench_echo`, a gen_server that replies
%% with the request, and a load driver timing N concurrent callers on the calling node, so that
%% BEAM->BEAM and BEAM->Rust calls are timed by the same code.
-module(bench_call).
-behaviour(gen_server).
-export([start_echo/0, payload/1, drive/4]).
-export([init/1, handle_call/3, handle_cast/2]).

%% Starts the echo server registered as `bench_echo` on this node.
start_echo() ->
    {ok, _} = gen_server:start({local, bench_echo}, ?MODULE, [], []),
    ok.

init([]) -> {ok, nostate}.
handle_call(Request, _From, State) -> {reply, Request, State}.
handle_cast(_Request, State) -> {noreply, State}.

%% The four payloads (the kinds of ergo's published benchmark); the Rust bench builds the same.
payload(int) ->
    12345;
payload(tuple) ->
    {bench, 1, 2, 3, 4, <<"five">>, six, 7, 8, 9};
payload(map) ->
    maps:from_list([{list_to_atom("k" ++ integer_to_list(I)), I} || I <- lists:seq(1, 10)]);
payload(pids) ->
    [c:pid(0, I, 0) || I <- lists:seq(1, 200)].

%% Callers processes each call Dest with the payload named Kind, in a loop, for Ms milliseconds
%% (a call that started before the deadline is counted). Returns calls per second: all calls of
%% all callers over the time from the start signal until the last caller is done. A reply that
%% is not the request crashes the caller and so the driver.
drive(Dest, Kind, Callers, Ms) ->
    Payload = payload(Kind),
    Parent = self(),
    Pids = [spawn_link(fun() -> caller(Parent, Dest, Payload) end)
            || _ <- lists:seq(1, Callers)],
    T0 = erlang:monotonic_time(),
    Deadline = T0 + erlang:convert_time_unit(Ms, millisecond, native),
    [P ! {go, Deadline} || P <- Pids],
    Total = lists:sum([receive {done, P, N} -> N end || P <- Pids]),
    T1 = erlang:monotonic_time(),
    Total / (erlang:convert_time_unit(T1 - T0, native, microsecond) / 1.0e6).

caller(Parent, Dest, Payload) ->
    receive {go, Deadline} -> ok end,
    Parent ! {done, self(), loop(Dest, Payload, Deadline, 0)}.

loop(Dest, Payload, Deadline, N) ->
    case erlang:monotonic_time() < Deadline of
        true ->
            Payload = gen_server:call(Dest, Payload, 5000),
            loop(Dest, Payload, Deadline, N + 1);
        false ->
            N
    end.
