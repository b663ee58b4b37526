package io.cvpipe.reinforce;
