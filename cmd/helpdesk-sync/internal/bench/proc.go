package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	stdsync "sync"
	"syscall"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/config"
)

// engineProc is an engine process the bench started and drives command by
// command. Its memory and CPU are its own: the simulators live in the
// bench process.
type engineProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner

	waitOnce stdsync.Once
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

// send sends one command without waiting for an answer (run).
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
