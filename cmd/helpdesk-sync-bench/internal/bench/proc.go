package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/config"
)

// engineProc is an engine process the bench started and drives command by
// command. Its memory and CPU are its own: the simulators live in the
// bench process.
type engineProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner

	waitOnce sync.Once
	waitErr  error
}

// startEngine starts command with the inherited environment less any
// helpdesk-sync configuration, plus env.
func startEngine(command []string, env []string, stderr io.Writer) (*engineProc, error) {
	if len(command) == 0 {
		return nil, errors.New("bench: no engine command")
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = append(cleanEnv(os.Environ()), env...)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: engine process: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: engine process: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start engine process %s: %w", command[0], err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	return &engineProc{cmd: cmd, in: in, out: sc}, nil
}

// cleanEnv drops the variables that would configure the engine process
// from the bench's own surroundings: its configuration is the bench's.
func cleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, config.EnvPrefix) || k == "REDIS_URL" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// send sends one command without waiting for an answer.
func (p *engineProc) send(command string) error {
	if _, err := io.WriteString(p.in, command+"\n"); err != nil {
		return fmt.Errorf("bench: engine process: send %q: %w", command, err)
	}
	return nil
}

// do sends one command and waits for its step.
func (p *engineProc) do(command string) (Step, error) {
	if err := p.send(command); err != nil {
		return Step{}, err
	}
	if !p.out.Scan() {
		err := p.out.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return Step{}, fmt.Errorf("bench: engine process ended during %q: %w", command, errors.Join(err, p.wait()))
	}
	var s Step
	if err := json.Unmarshal(p.out.Bytes(), &s); err != nil {
		return Step{}, fmt.Errorf("bench: engine process answered %q to %q: %w", p.out.Text(), command, err)
	}
	if s.Err != "" {
		return s, fmt.Errorf("bench: engine %s: %s", command, s.Err)
	}
	return s, nil
}

// close ends the engine process (end of input) and returns its CPU time.
func (p *engineProc) close() (cpu time.Duration, err error) {
	_ = p.in.Close()
	done := make(chan error, 1)
	go func() { done <- p.wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		err = errors.Join(errors.New("bench: engine process did not exit within 30s of its input ending; killed"), <-done)
	}
	if st := p.cmd.ProcessState; st != nil {
		cpu = st.UserTime() + st.SystemTime()
	}
	return cpu, err
}

// wait reaps the process once; later calls return the same result.
func (p *engineProc) wait() error {
	p.waitOnce.Do(func() { p.waitErr = p.reap() })
	return p.waitErr
}

func (p *engineProc) reap() error {
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Errorf("bench: engine process killed by %s", ws.Signal())
		}
		return fmt.Errorf("bench: engine process: %w", err)
	}
	return err
}

// privateRedis is a redis-server the bench started for itself: its CPU is
// the engine's doing alone, and no other client competes for it.
type privateRedis struct {
	cmd *exec.Cmd
	dir string
	URL string
}

// startRedis starts the redis-server at path on a free loopback port,
// keeping nothing on disk, and waits until it answers.
func startRedis(ctx context.Context, path string) (*privateRedis, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: find a port for redis-server: %w", err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	_ = l.Close()
	dir, err := os.MkdirTemp("", "helpdesk-sync-bench-redis-")
	if err != nil {
		return nil, fmt.Errorf("bench: redis-server directory: %w", err)
	}
	cmd := exec.Command(path, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: start %s: %w", path, err)
	}
	r := &privateRedis{cmd: cmd, dir: dir, URL: "redis://127.0.0.1:" + port + "/0"}
	opts, _ := redis.ParseURL(r.URL)
	c := redis.NewClient(opts)
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if err := c.Ping(ctx).Err(); err == nil {
			return r, nil
		} else if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, errors.Join(fmt.Errorf("bench: %s on port %s does not answer: %w", path, port, err), r.stop())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *privateRedis) stop() error {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	err := r.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == -1 {
		err = nil // ended by the signal, as asked
	}
	return errors.Join(err, os.RemoveAll(r.dir))
}
